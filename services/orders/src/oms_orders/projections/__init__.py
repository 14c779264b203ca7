"""Read models of the orders service, one ``<Thing>View`` per module, each rebuildable with
``oms replay orders NAME``: ``order_list`` (``GET /orders``) and ``quote_list``
(``GET /quotes``)."""
