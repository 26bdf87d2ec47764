using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Operations;

/// <summary>
/// What an operation's shape rule is given: its input, where it stands, and the checks that
/// report in the network's terms (sliding windows, column splits, sizes that must fit an int).
/// </summary>
/// <param name="Who">How messages name the operation: "Conv1", "Conv1 MaxPool".</param>
/// <param name="Columns">The network's columns (devices).</param>
/// <param name="Split">The columns this layer's outputs split over: 1 for a last layer that every column computes whole.</param>
/// <param name="FirstLayer">Whether the operation is in the first layer, which reads the whole image on every column.</param>
internal sealed class ShapeRule(string who, Shape input, int columns, int split, bool firstLayer, LocationInfo? location, List<DiagnosticInfo> diagnostics)
{
    public string Who => who;

    public Shape Input => input;

    public int Columns => columns;

    public int Split => split;

    public bool FirstLayer => firstLayer;

    public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, params object[] arguments) =>
        diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>Height and width after a sliding window (NG0003, NG0004 when they do not work out).</summary>
    public (int Height, int Width)? Window(string windowName, int kernel, int stride, int pad, Rounding round) =>
        OutputSize.Compute(who, windowName, input, kernel, stride, pad, round, location, diagnostics);

    /// <summary>NG0006 unless <paramref name="count"/> splits evenly over this layer's columns.</summary>
    public bool SplitsOverColumns(int count, string countName)
    {
        if (count % split == 0)
            return true;
        int suggestion = (count / split + 1) * split;
        Report(DiagnosticDescriptors.ColumnsMismatch, who, count, countName, split, Format.Decimal((double)count / split), suggestion);
        return false;
    }

    /// <summary>NG0010 unless a tensor of <paramref name="count"/> values fits an int index.</summary>
    public bool Fits(long count, string what)
    {
        if (count <= int.MaxValue)
            return true;
        Report(DiagnosticDescriptors.TooLarge, who, what, count, int.MaxValue);
        return false;
    }
}
