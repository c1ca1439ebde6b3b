-- AlterTable
ALTER TABLE "KnownCustomer" DROP COLUMN "tags";
