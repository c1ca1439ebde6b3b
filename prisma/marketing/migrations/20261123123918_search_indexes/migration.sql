-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateIndex
CREATE INDEX "Campaign_name_trgm_idx" ON "Campaign" USING GIN ("name" gin_trgm_ops);
