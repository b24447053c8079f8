namespace Cdc.Listener; internal static class Program { public static int Main() => 0; }
