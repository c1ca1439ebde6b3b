-- CreateTable
CREATE TABLE "OutboxEvent" (
    "position" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "aggregateType" TEXT NOT NULL,
    "aggregateId" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "data" JSONB NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publishedAt" TIMESTAMP(3),

    CONSTRAINT "OutboxEvent_pkey" PRIMARY KEY ("position")
);

-- CreateTable
CREATE TABLE "EventSequence" (
    "aggregateType" TEXT NOT NULL,
    "aggregateId" TEXT NOT NULL,
    "last" INTEGER NOT NULL,

    CONSTRAINT "EventSequence_pkey" PRIMARY KEY ("aggregateType","aggregateId")
);

-- CreateTable
CREATE TABLE "ProcessedEvent" (
    "consumer" TEXT NOT NULL,
    "eventId" UUID NOT NULL,
    "processedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessedEvent_pkey" PRIMARY KEY ("consumer","eventId")
);

-- CreateIndex
CREATE UNIQUE INDEX "OutboxEvent_id_key" ON "OutboxEvent"("id");

-- CreateIndex
CREATE INDEX "OutboxEvent_publishedAt_position_idx" ON "OutboxEvent"("publishedAt", "position");
