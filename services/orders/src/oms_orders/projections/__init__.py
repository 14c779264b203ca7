"""Read models of the orders service, one ``<Thing>View`` per module, each rebuildable with
``oms replay orders NAME``: ``order_list`` (``GET /orders``), ``quote_list``
(``GET /quotes``) and ``portfolio`` (each customer's sales rep now, which the scope of a
sales rep joins). Every query takes the caller's ``Scope``: no list leaves it out."""
