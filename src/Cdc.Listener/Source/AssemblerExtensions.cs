using Cdc.Decoding;

namespace Cdc.Listener.Source;

public static class AssemblerExtensions
{
    /// <summary>Appends a message read from the connection or the frame pipe, as one block of memory when it is one.</summary>
    public static CommittedTransaction? Append(this TransactionAssembler assembler, BufferedBytes message, ulong walStart, ulong walEnd)
    {
        ArgumentNullException.ThrowIfNull(assembler);
        return message.TryGetMemory(out var memory)
            ? assembler.Append(memory, walStart, walEnd)
            : assembler.Append(message.Sequence, walStart, walEnd);
    }
}
