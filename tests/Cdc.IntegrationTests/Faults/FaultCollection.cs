namespace Cdc.IntegrationTests.Faults;

/// <summary>The fault tests are heavy (servers, workloads, killed processes): they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection
{
    public const string Name = "Faults";
}
