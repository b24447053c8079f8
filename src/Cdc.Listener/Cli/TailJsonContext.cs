using System.Text.Json.Serialization;

namespace Cdc.Listener.Cli;

[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(TailGap))]
internal sealed partial class TailJsonContext : JsonSerializerContext;

/// <summary>A JSON line that reports missing stream sequences: <c>{"gap":{"first":120,"last":130,"missing":11}}</c>.</summary>
internal sealed record TailGap([property: JsonPropertyName("gap")] TailGapRange Gap);

internal sealed record TailGapRange(
    [property: JsonPropertyName("first")] ulong First,
    [property: JsonPropertyName("last")] ulong Last,
    [property: JsonPropertyName("missing")] ulong Missing,
    [property: JsonPropertyName("reason")] string Reason);
