-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "CampaignChannel" AS ENUM ('EMAIL', 'SMS', 'SOCIAL', 'SEARCH', 'DISPLAY', 'EVENT');

-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('DRAFT', 'SCHEDULED', 'ACTIVE', 'PAUSED', 'COMPLETED');

-- CreateEnum
CREATE TYPE "MemberStatus" AS ENUM ('TARGETED', 'SENT', 'OPENED', 'CLICKED', 'RESPONDED', 'CONVERTED', 'UNSUBSCRIBED');

-- CreateEnum
CREATE TYPE "ResponseType" AS ENUM ('OPENED', 'CLICKED', 'REPLIED', 'REGISTERED', 'UNSUBSCRIBED');

-- CreateTable
CREATE TABLE "Segment" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "rules" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Segment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Campaign" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "channel" "CampaignChannel" NOT NULL,
    "status" "CampaignStatus" NOT NULL DEFAULT 'DRAFT',
    "budgetMinor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "segmentId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignMember" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "status" "MemberStatus" NOT NULL DEFAULT 'TARGETED',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CampaignMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignResponse" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "type" "ResponseType" NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CampaignResponse_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderAttribution" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrderAttribution_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Segment_name_key" ON "Segment"("name");

-- CreateIndex
CREATE INDEX "Segment_createdAt_id_idx" ON "Segment"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_name_id_idx" ON "Campaign"("name", "id");

-- CreateIndex
CREATE INDEX "Campaign_createdAt_id_idx" ON "Campaign"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_status_createdAt_id_idx" ON "Campaign"("status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_channel_createdAt_id_idx" ON "Campaign"("channel", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_startsAt_id_idx" ON "Campaign"("startsAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_segmentId_idx" ON "Campaign"("segmentId");

-- CreateIndex
CREATE INDEX "CampaignMember_campaignId_createdAt_id_idx" ON "CampaignMember"("campaignId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "CampaignMember_customerId_createdAt_id_idx" ON "CampaignMember"("customerId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignMember_campaignId_customerId_key" ON "CampaignMember"("campaignId", "customerId");

-- CreateIndex
CREATE INDEX "CampaignResponse_campaignId_occurredAt_id_idx" ON "CampaignResponse"("campaignId", "occurredAt", "id");

-- CreateIndex
CREATE INDEX "CampaignResponse_customerId_idx" ON "CampaignResponse"("customerId");

-- CreateIndex
CREATE INDEX "OrderAttribution_campaignId_createdAt_id_idx" ON "OrderAttribution"("campaignId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "OrderAttribution_orderId_idx" ON "OrderAttribution"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "OrderAttribution_campaignId_orderId_key" ON "OrderAttribution"("campaignId", "orderId");

-- AddForeignKey
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_segmentId_fkey" FOREIGN KEY ("segmentId") REFERENCES "Segment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignResponse" ADD CONSTRAINT "CampaignResponse_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderAttribution" ADD CONSTRAINT "OrderAttribution_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;
