-- The badge a category's holders get when the desk asks for none in
-- particular: an A6 badge or a credit-card-sized card.
ALTER TABLE categories ADD COLUMN badge_layout text NOT NULL DEFAULT 'a6'
    CHECK (badge_layout IN ('a6', 'card'));
