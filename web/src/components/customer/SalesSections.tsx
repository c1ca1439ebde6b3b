import { Section, type SectionProps } from './Section';
import { countOf, formatDate, formatMoney } from './format';

// The sales service's parts of the customer: orders, deals and lifetime value.

export function OrdersSection({ customer }: SectionProps) {
  const { orders } = customer;
  return (
    <Section testId="section-orders" title={orders ? `Orders (${countOf(orders.nodes.length, orders.totalCount)})` : 'Orders'} customer={customer} field="orders" data={orders}>
      {({ nodes }) =>
        nodes.length === 0 ? (
          <p className="empty">No orders.</p>
        ) : (
          nodes.map((order) => (
            <div key={order.id} className="order" data-testid="order-row" data-order-id={order.id}>
              <div className="order-summary">
                <span className={`order-status status-${order.status.toLowerCase()}`}>{order.status}</span>
                <span>{formatDate(order.placedAt ?? order.createdAt)}</span>
                <strong className="money">{formatMoney(order.total)}</strong>
              </div>
              <table className="order-items">
                <tbody>
                  {order.items.map((item) => (
                    <tr key={item.id} data-testid="order-item">
                      <td>
                        {item.product.name} <span className="sku">{item.product.sku}</span>
                      </td>
                      <td className="money">
                        {item.quantity} × {formatMoney(item.unitPrice)}
                      </td>
                      <td className="money">{formatMoney(item.lineTotal)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))
        )
      }
    </Section>
  );
}

export function DealsSection({ customer }: SectionProps) {
  const { opportunities } = customer;
  return (
    <Section testId="section-deals" title={opportunities ? `Deals (${countOf(opportunities.nodes.length, opportunities.totalCount)})` : 'Deals'} customer={customer} field="opportunities" data={opportunities}>
      {({ nodes }) =>
        nodes.length === 0 ? (
          <p className="empty">No deals.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Deal</th>
                <th>Stage</th>
                <th className="money">Amount</th>
                <th className="money">Probability</th>
                <th>Expected close</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((deal) => (
                <tr key={deal.id} data-testid="deal-row">
                  <td>{deal.name}</td>
                  <td>{deal.stage}</td>
                  <td className="money">{formatMoney(deal.amount)}</td>
                  <td className="money">{deal.probability} %</td>
                  <td>{formatDate(deal.expectedCloseDate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Section>
  );
}

export function LifetimeValueSection({ customer }: SectionProps) {
  const { lifetimeValue } = customer;
  return (
    <Section testId="section-lifetime-value" title="Lifetime value" customer={customer} field="lifetimeValue" data={lifetimeValue}>
      {(amounts) =>
        amounts.length === 0 ? (
          <p className="empty">Nothing spent yet.</p>
        ) : (
          <ul className="amounts">
            {amounts.map((money) => (
              <li key={money.currency} className="money">
                {formatMoney(money)}
              </li>
            ))}
          </ul>
        )
      }
    </Section>
  );
}
