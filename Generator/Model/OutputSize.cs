using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Model;

/// <summary>
/// The output size of a sliding window, <c>(in - kernel + 2*pad) / stride + 1</c>, and the
/// diagnostics that show its arithmetic when it does not work out.
/// </summary>
internal static class OutputSize
{
    /// <summary>The rounded output size, assuming the window fits (<see cref="WindowOutput.Size"/>, which the ONNX importer shares).</summary>
    public static int Rounded(int input, int kernel, int stride, int pad, Rounding round) => WindowOutput.Size(input, kernel, stride, pad, round);

    /// <summary>
    /// The padding after the last row (or column) that a window needs to reach its last output with
    /// floor rounding: <paramref name="pad"/>, or more where ceil rounding lets the last window run past it.
    /// ONNX and PyTorch's convolutions take ceil rounding this way.
    /// </summary>
    public static int EndPad(int input, int output, int kernel, int stride, int pad) =>
        System.Math.Max(pad, (output - 1) * stride + kernel - input - pad);

    /// <summary>
    /// Works out height and width for an operation; reports NG0004 or NG0003 at
    /// <paramref name="location"/> and returns null when they do not work out.
    /// </summary>
    /// <param name="who">How the message names the operation: "Conv1", "Conv1 MaxPool".</param>
    /// <param name="windowName">"kernel" or "window".</param>
    public static (int Height, int Width)? Compute(
        string who, string windowName, Shape input, int kernel, int stride, int pad, Rounding round,
        LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        int before = diagnostics.Count;
        if (input.Height == input.Width)
            Check(who, "height and width", windowName, input.Height, kernel, stride, pad, round, location, diagnostics);
        else
        {
            Check(who, "height", windowName, input.Height, kernel, stride, pad, round, location, diagnostics);
            Check(who, "width", windowName, input.Width, kernel, stride, pad, round, location, diagnostics);
        }
        if (diagnostics.Count > before)
            return null;
        return (Rounded(input.Height, kernel, stride, pad, round), Rounded(input.Width, kernel, stride, pad, round));
    }

    private static void Check(
        string who, string dimension, string windowName, int input, int kernel, int stride, int pad, Rounding round,
        LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        long padded = (long)input + 2L * pad;
        if (padded < kernel)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowTooLarge, location,
                who, windowName, kernel, dimension, input, pad, padded));
            return;
        }
        long span = padded - kernel;
        if (round != Rounding.Exact || span % stride == 0)
            return;
        int nextInput = (int)(input + stride - span % stride);
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FractionalOutput, location,
            who,
            dimension,
            $"({input} - {kernel} + 2*{pad}) / {stride} + 1",
            Format.Decimal((double)span / stride + 1),
            nextInput,
            Rounded(nextInput, kernel, stride, pad, Rounding.Floor),
            Rounded(input, kernel, stride, pad, Rounding.Floor),
            Rounded(input, kernel, stride, pad, Rounding.Ceil)));
    }
}
