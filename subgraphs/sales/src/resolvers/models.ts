import type { Money } from '../../../../lib/money';
import type { Connection } from '../../../../lib/pagination';
import type { Opportunity, Order, OrderItem, Product } from '../generated/prisma/client';

// What the resolvers of each GraphQL type receive as their parent (codegen.ts maps the types).
export type { Opportunity as OpportunityModel, Order as OrderModel, OrderItem as OrderItemModel, Product as ProductModel };
export type ProductConnectionModel = Connection<Product>;
export type OrderConnectionModel = Connection<Order>;
export type OpportunityConnectionModel = Connection<Opportunity>;
// Entities of other subgraphs arrive as the gateway's representations; a field's @requires
// fields are in the representation whenever that field is asked for.
export type CustomerModel = { id: string };
export type CampaignModel = { id: string; attributedOrderIds: string[]; budget: Money };
