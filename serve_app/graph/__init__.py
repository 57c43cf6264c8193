"""GraphQL reads at `/graphql` (ARCHITECTURE §8): the same objects and authorisation as REST."""
