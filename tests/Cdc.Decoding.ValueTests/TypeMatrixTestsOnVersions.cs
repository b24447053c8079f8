namespace Cdc.Decoding.ValueTests;

[Collection(PostgresCollection.Name)]
public sealed class TypeMatrixTestsOn15(PostgresFixture postgres) : TypeMatrixTests(postgres);

[Collection(Postgres17Collection.Name)]
public sealed class TypeMatrixTestsOn17(Postgres17Fixture postgres) : TypeMatrixTests(postgres);
