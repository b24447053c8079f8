using System.Globalization;
using System.Text;

namespace Cdc.Decoding.Values;

/// <summary>
/// Renders tsquery's send format as tsqueryout does. The send format lists the query tree in prefix order
/// (an operator, then its right operand, then its left); operators: 1 NOT, 2 AND, 3 OR, 4 PHRASE (with a distance).
/// </summary>
internal static class TsQueryBinary
{
    private const byte Operand = 1;
    private const byte Operator = 2;
    private const byte Not = 1;
    private const byte And = 2;
    private const byte Or = 3;
    private const byte Phrase = 4;
    private const int MaxDepth = 4096;

    public static string ToText(ReadOnlySpan<byte> data)
    {
        var cursor = new BinaryCursor(data, "tsquery");
        var count = cursor.ReadInt32();
        // Each item takes at least 2 bytes.
        if (count < 0 || count > cursor.Remaining / 2)
        {
            throw cursor.Fail($"item count {count} exceeds the value");
        }

        if (count == 0)
        {
            cursor.ExpectEnd();
            return string.Empty;
        }

        var builder = new StringBuilder(data.Length * 2);
        Render(ref cursor, builder, -1, rightOfPhrase: false, depth: 0);
        cursor.ExpectEnd();
        return builder.ToString();
    }

    private static int Priority(byte op) => op switch
    {
        Not => 4,
        And => 2,
        Or => 1,
        _ => 3,
    };

    private static void Render(ref BinaryCursor cursor, StringBuilder output, int parentPriority, bool rightOfPhrase, int depth)
    {
        if (depth > MaxDepth)
        {
            throw cursor.Fail("query tree too deep");
        }

        var type = cursor.ReadByte();
        if (type == Operand)
        {
            RenderOperand(ref cursor, output);
            return;
        }

        if (type != Operator)
        {
            throw cursor.Fail($"unknown item type {type}");
        }

        var op = cursor.ReadByte();
        if (op is not (Not or And or Or or Phrase))
        {
            throw cursor.Fail($"unknown operator {op}");
        }

        var priority = Priority(op);
        if (op == Not)
        {
            var wrap = priority < parentPriority;
            output.Append(wrap ? "( !" : "!");
            Render(ref cursor, output, priority, rightOfPhrase: false, depth + 1);
            output.Append(wrap ? " )" : string.Empty);
            return;
        }

        var distance = op == Phrase ? cursor.ReadInt16() : (short)0;
        var needParentheses = priority < parentPriority || (op == Phrase && rightOfPhrase);

        // The right operand comes first in the stream but is printed last.
        var right = new StringBuilder();
        Render(ref cursor, right, priority, op == Phrase, depth + 1);
        output.Append(needParentheses ? "( " : string.Empty);
        Render(ref cursor, output, priority, rightOfPhrase: false, depth + 1);
        output.Append(op switch
        {
            Or => " | ",
            And => " & ",
            _ => distance == 1 ? " <-> " : string.Create(CultureInfo.InvariantCulture, $" <{distance}> "),
        });
        output.Append(right);
        output.Append(needParentheses ? " )" : string.Empty);
    }

    private static void RenderOperand(ref BinaryCursor cursor, StringBuilder output)
    {
        var weight = cursor.ReadByte();
        var prefix = cursor.ReadByte();
        var text = Encoding.UTF8.GetString(cursor.ReadCString());
        output.Append('\'');
        foreach (var c in text)
        {
            // tsqueryout doubles quotes and backslashes.
            if (c is '\'' or '\\')
            {
                output.Append(c);
            }

            output.Append(c);
        }

        output.Append('\'');
        if (weight != 0 || prefix != 0)
        {
            output.Append(':');
            output.Append(prefix != 0 ? "*" : string.Empty);
            output.Append((weight & 8) != 0 ? "A" : string.Empty);
            output.Append((weight & 4) != 0 ? "B" : string.Empty);
            output.Append((weight & 2) != 0 ? "C" : string.Empty);
            output.Append((weight & 1) != 0 ? "D" : string.Empty);
        }
    }
}
