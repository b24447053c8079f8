using Cdc.Listener.Configuration;
using Microsoft.Extensions.Options;

namespace Cdc.Listener.Http;

/// <summary>Checks <c>Cdc:Http:Listen</c> at start, so a typo fails in one line instead of at bind time.</summary>
public sealed class HttpEndpointOptionsValidator : IValidateOptions<HttpEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpEndpointOptions options)
    {
        ListenAddress.Parse(options.Listen, out var error);
        return error is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);
    }
}
