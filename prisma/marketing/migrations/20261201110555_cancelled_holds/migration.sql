-- AlterTable
ALTER TABLE "KnownCustomer" ADD COLUMN     "cancelledHoldId" UUID;

-- AlterTable
ALTER TABLE "OrderFact" ADD COLUMN     "cancelledHoldId" UUID;
