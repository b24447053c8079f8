using System.Text;
using DotNet.Testcontainers.Configurations;

namespace Cdc.Testing;

/// <summary>
/// Keeps the last <see cref="Capacity"/> bytes a container wrote to stdout and stderr (PostgreSQL logs to
/// stderr), so a failing test can show the server's log without an asynchronous call.
/// </summary>
public sealed class ContainerLog : IOutputConsumer
{
    public const int Capacity = 64 * 1024;

    private readonly TailStream _tail = new();

    public bool Enabled => true;

    public Stream Stdout => _tail;

    public Stream Stderr => _tail;

    /// <summary>The last <paramref name="lines"/> lines written so far.</summary>
    public string Tail(int lines = 30)
    {
        var all = _tail.Text().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public void Dispose() => _tail.Dispose();

    private sealed class TailStream : Stream
    {
        private readonly Lock _lock = new();
        private readonly Queue<byte> _bytes = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public string Text()
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_bytes.ToArray());
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_lock)
            {
                foreach (var b in buffer)
                {
                    _bytes.Enqueue(b);
                }

                while (_bytes.Count > Capacity)
                {
                    _bytes.Dequeue();
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
