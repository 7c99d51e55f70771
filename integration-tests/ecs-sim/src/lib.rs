//! ECS OpenAPI simulator (being built).
