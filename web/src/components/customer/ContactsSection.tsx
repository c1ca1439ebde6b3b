import { Part } from '../Part';
import { Section, type SectionProps } from './Section';
import { countOf } from './format';

export function ContactsSection({ customer: { contacts }, errors }: SectionProps) {
  const path = ['customer', 'contacts', 'nodes'];
  return (
    <Section testId="section-contacts" title={`Contacts (${countOf(contacts.nodes.length, contacts.totalCount)})`} errors={errors} path={path} data={contacts.nodes}>
      {(nodes) =>
        nodes.length === 0 ? (
          <p className="empty">No contacts.</p>
        ) : (
          <ul className="plain contacts">
            {nodes.map((contact, index) => (
              <li key={contact.id}>
                <strong>{contact.name}</strong> {contact.title && <span className="contact-title">{contact.title}</span>}
                <div className="contact-ways">
                  <Part errors={errors} path={[...path, index, 'email']}>{contact.email}</Part>
                  <Part errors={errors} path={[...path, index, 'phone']}>{contact.phone}</Part>
                </div>
              </li>
            ))}
          </ul>
        )
      }
    </Section>
  );
}
