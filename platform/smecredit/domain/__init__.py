"""Pure domain logic: no I/O, no ORM, no framework imports."""
