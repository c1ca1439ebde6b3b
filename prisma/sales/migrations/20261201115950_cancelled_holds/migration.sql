-- CreateTable
CREATE TABLE "CancelledHold" (
    "holdId" UUID NOT NULL,
    "cancelledAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CancelledHold_pkey" PRIMARY KEY ("holdId")
);
