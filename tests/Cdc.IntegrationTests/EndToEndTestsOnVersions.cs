using Cdc.Testing;

namespace Cdc.IntegrationTests;

public sealed class EndToEndTestsOn15() : EndToEndTests(PostgresVersion.V15);

public sealed class EndToEndTestsOn17() : EndToEndTests(PostgresVersion.V17);
