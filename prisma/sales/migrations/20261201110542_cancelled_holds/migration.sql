-- AlterTable
ALTER TABLE "KnownCustomer" ADD COLUMN     "cancelledHoldId" UUID;
