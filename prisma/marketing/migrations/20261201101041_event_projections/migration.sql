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

-- CreateTable
CREATE TABLE "OrderFact" (
    "orderId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "status" TEXT,
    "currency" CHAR(3),
    "totalMinor" BIGINT,
    "placedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "deletionHoldId" UUID,
    "sequence" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "OrderFact_pkey" PRIMARY KEY ("orderId")
);

-- CreateTable
CREATE TABLE "CustomerOrderStatistics" (
    "customerId" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "frequency" INTEGER NOT NULL,
    "monetaryMinor" BIGINT NOT NULL,
    "lastOrderAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomerOrderStatistics_pkey" PRIMARY KEY ("customerId","currency")
);

-- CreateIndex
CREATE INDEX "OrderFact_customerId_idx" ON "OrderFact"("customerId");
