import type { Connection } from '../../../../lib/pagination';
import type { Campaign, CampaignMember, CampaignResponse, Segment } from '../generated/prisma/client';
import type { RfmAnalysisRow } from '../loaders';
import type { CustomerAttributes, SegmentRules } from '../rules';

// What the resolvers of each GraphQL type receive as their parent (codegen.ts maps the types).
export type { Campaign as CampaignModel, CampaignMember as CampaignMemberModel, CampaignResponse as CampaignResponseModel, Segment as SegmentModel };
export type SegmentConnectionModel = Connection<Segment>;
export type CampaignConnectionModel = Connection<Campaign>;
export type CampaignMemberConnectionModel = Connection<CampaignMember>;
export type CampaignResponseConnectionModel = Connection<CampaignResponse>;
// Rules as the segment stores them (minimum amounts in minor units).
export type SegmentRulesModel = SegmentRules;
export type RfmAnalysisModel = RfmAnalysisRow;
// Entities of other subgraphs: a reference this subgraph returns holds the id alone, and the
// representation the gateway sends back adds a field's @requires fields when it asks for that field.
export type CustomerModel = { id: string } & Partial<CustomerAttributes>;
export type OrderModel = { id: string };
