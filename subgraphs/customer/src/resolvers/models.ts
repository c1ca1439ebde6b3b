import type { Connection } from '../../../../lib/pagination';
import type { Contact, Customer, Interaction } from '../generated/prisma/client';

// What the resolvers of each GraphQL type receive as their parent (codegen.ts maps the types).
export type { Contact as ContactModel, Customer as CustomerModel, Interaction as InteractionModel };
export type CustomerConnectionModel = Connection<Customer>;
export type ContactConnectionModel = Connection<Contact>;
export type InteractionConnectionModel = Connection<Interaction>;
