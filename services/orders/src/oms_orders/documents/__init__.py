"""The documents of a quote (DESIGN section 10): the files attached to it, kept in a table
of the orders database (the events only say what each file is), and the proposal PDF,
made from the quote when asked for."""
