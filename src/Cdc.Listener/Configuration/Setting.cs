namespace Cdc.Listener.Configuration;

/// <summary>One configuration key Cdc reads (<c>Cdc:Nats:BatchMaxRows</c>), what it holds and the property type it binds to.</summary>
public sealed record Setting(string Key, SettingKind Kind, Type Type);
