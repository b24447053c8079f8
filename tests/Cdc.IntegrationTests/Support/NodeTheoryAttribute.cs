namespace Cdc.IntegrationTests.Support;

/// <summary>A theory that is skipped, with the reason, when node or npm is not installed.</summary>
public sealed class NodeTheoryAttribute : TheoryAttribute
{
    public NodeTheoryAttribute()
    {
        if (!JavaScriptClient.IsAvailable)
        {
            Skip = "node and npm are not installed (apt-get install -y nodejs npm): the official NATS JavaScript client cannot run";
        }
    }
}
