using System.Buffers;
using System.Diagnostics;
using System.Runtime.Versioning;
using Cdc.Decoding.Transactions;
using static Cdc.Decoding.Tests.Support.PgOutputBuilder;

namespace Cdc.Decoding.Tests;

/// <summary>Spilled transactions hold row data: only their owner may read them, and a killed process's files do not pile up.</summary>
public sealed class SpillFileTests : IDisposable
{
    private const uint Rel = 1;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cdc-spill-test-" + Guid.NewGuid().ToString("N"));

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void A_spill_file_is_readable_by_its_owner_only_in_a_folder_of_this_process()
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions { SpillThresholdBytes = 1024, SpillDirectory = _directory });
        Append(assembler, Begin(0x100, 0, 5));
        Append(assembler, Relation(Rel, "public", "t", 'd', ("id", 23, -1, true), ("v", 25, -1, false)));
        for (var i = 0; i < 100; i++)
        {
            Append(assembler, Insert(null, Rel, "1", new string('s', 40)));
        }

        var file = Assert.Single(Directory.GetFiles(_directory, "*", SearchOption.AllDirectories));
        var folder = Path.GetDirectoryName(file)!;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.StartsWith($"cdc-{Environment.ProcessId}-", Path.GetFileName(folder), StringComparison.Ordinal);
        Assert.Equal(_directory, Path.GetDirectoryName(folder));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Folders_of_processes_that_are_gone_are_removed_at_start_and_live_ones_are_kept()
    {
        using var live = Process.Start("sleep", "60");
        try
        {
            int deadPid;
            using (var exited = Process.Start("true"))
            {
                exited.WaitForExit();
                deadPid = exited.Id;
            }

            var liveFolder = Folder(SpillFiles.FolderName(live.Id, SpillFiles.StartSeconds(live.Id)!.Value));
            var deadFolder = Folder(SpillFiles.FolderName(deadPid, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            var reusedPidFolder = Folder(SpillFiles.FolderName(live.Id, 1_000_000));
            var unrelated = Folder("not-ours");

            using var assembler = new TransactionAssembler(new PgOutputOptions { SpillDirectory = _directory });

            Assert.True(Directory.Exists(liveFolder));
            Assert.True(Directory.Exists(unrelated));
            Assert.False(Directory.Exists(deadFolder));
            Assert.False(Directory.Exists(reusedPidFolder));
        }
        finally
        {
            live.Kill();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>A folder with a left-over spill file in it.</summary>
    private string Folder(string name)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, name)).FullName;
        File.WriteAllBytes(Path.Combine(folder, "left-over.bin"), [1, 2, 3]);
        return folder;
    }

    private static void Append(TransactionAssembler assembler, byte[] message)
        => assembler.Append(new ReadOnlySequence<byte>(message), 0x10, 0x10)?.Dispose();
}
