-- One database per service (database per service), made at the first start of an empty
-- PostgreSQL volume by the image's entrypoint (/docker-entrypoint-initdb.d). The gateway keeps no
-- data and has none. The same names as scripts/cluster's.
CREATE DATABASE emporium_auth;
CREATE DATABASE emporium_users;
CREATE DATABASE emporium_catalog;
CREATE DATABASE emporium_cart;
CREATE DATABASE emporium_inventory;
CREATE DATABASE emporium_orders;
CREATE DATABASE emporium_payments;
CREATE DATABASE emporium_notifications;
CREATE DATABASE emporium_recommendations;
