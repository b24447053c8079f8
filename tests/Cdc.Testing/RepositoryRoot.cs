namespace Cdc.Testing;

/// <summary>The checkout the tests run from: scripts and docker recipes are found relative to it.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Cdc.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Cdc.sln not found above " + AppContext.BaseDirectory);
    }
}
