-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "deletionHoldId" UUID,
ADD COLUMN     "deletionStartedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "KnownCustomer" (
    "id" UUID NOT NULL,
    "status" TEXT,
    "kind" TEXT,
    "ownerId" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "erased" BOOLEAN NOT NULL DEFAULT false,
    "deletionHoldId" UUID,
    "sequence" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "KnownCustomer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Order_deletionStartedAt_idx" ON "Order"("deletionStartedAt");
