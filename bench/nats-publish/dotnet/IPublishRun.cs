namespace NatsPublishBench;

/// <summary>One contender: set up (connect, stream) untimed, then publish every message and await every PubAck.</summary>
internal interface IPublishRun : IAsyncDisposable
{
    string Name { get; }

    Task SetupAsync(string url, string stream, string subject, int count, byte[] payload);

    /// <summary>Publishes <paramref name="messages"/> messages with other ids, untimed: JIT and tiering settle first.</summary>
    Task WarmUpAsync(int messages);

    Task PublishAllAsync();

    /// <summary>Null when every message was acknowledged.</summary>
    string? Check();
}
