-- One database per subgraph; no subgraph reads another's. PostgreSQL runs this once, when it
-- initialises an empty data volume (a subgraph added later needs its database created by hand).
CREATE DATABASE crm_customer;
CREATE DATABASE crm_sales;
CREATE DATABASE crm_marketing;
