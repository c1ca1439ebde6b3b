import { Part } from '../Part';
import { Section, type SectionProps } from './Section';
import { countOf } from './format';

export function ContactsSection({ customer }: SectionProps) {
  const { contacts } = customer;
  return (
    <Section testId="section-contacts" title={`Contacts (${countOf(contacts.nodes.length, contacts.totalCount)})`} customer={customer} field="contacts" data={contacts.nodes}>
      {(nodes) =>
        nodes.length === 0 ? (
          <p className="empty">No contacts.</p>
        ) : (
          <ul className="plain contacts">
            {nodes.map((contact) => (
              <li key={contact.id}>
                <strong>{contact.name}</strong> {contact.title && <span className="contact-title">{contact.title}</span>}
                <div className="contact-ways">
                  <Part of={contact} field="email">{contact.email}</Part>
                  <Part of={contact} field="phone">{contact.phone}</Part>
                </div>
              </li>
            ))}
          </ul>
        )
      }
    </Section>
  );
}
