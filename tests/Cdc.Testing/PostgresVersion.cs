namespace Cdc.Testing;

/// <summary>
/// The PostgreSQL major versions the integration tests run against, each a local image that
/// scripts/setup builds from Debian packages (docker/postgres-image): 15 from Debian 12, 17 from Debian 13.
/// </summary>
public enum PostgresVersion
{
    V15 = 15,

    /// <summary>PostgreSQL 16+ features: logical replication protocol version 4, <c>streaming = parallel</c>.</summary>
    V17 = 17,
}
