-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "deletionHoldId" UUID,
ADD COLUMN     "deletionStartedAt" TIMESTAMP(3),
ADD COLUMN     "erasedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "CustomerErasure" (
    "customerId" UUID NOT NULL,
    "service" TEXT NOT NULL,
    "erasedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomerErasure_pkey" PRIMARY KEY ("customerId","service")
);

-- CreateIndex
CREATE INDEX "Customer_deletionStartedAt_idx" ON "Customer"("deletionStartedAt");

-- AddForeignKey
ALTER TABLE "CustomerErasure" ADD CONSTRAINT "CustomerErasure_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
