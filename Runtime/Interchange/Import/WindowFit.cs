using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>
/// How a convolution's or pooling's ONNX padding maps onto NetGen's one <c>Pad</c> and a rounding.
/// A window at output position o starts at <c>o * stride - pad</c> in both, and what lies past the
/// input is a zero to a convolution and never wins a max, so the two agree wherever the padding
/// before the first row and column is the same and the output has the same size; the padding after
/// the last row only decides that size. <see cref="Roundings"/> are NetGen's roundings that give it.
/// </summary>
/// <param name="Pad">The padding before the first row and column.</param>
/// <param name="Height">The output's height.</param>
/// <param name="Width">The output's width.</param>
/// <param name="Roundings">The roundings whose output size is ONNX's, in NetGen's order (Exact, Floor, Ceil); never empty.</param>
internal sealed record WindowFit(int Pad, int Height, int Width, IReadOnlyList<Rounding> Roundings)
{
    /// <summary>Whether the declaration must say how to round (the division leaves a remainder).</summary>
    public bool NeedsRounding => !Roundings.Contains(Rounding.Exact);

    /// <summary>NetGen's output size: the generator's rule (<see cref="WindowOutput.Size"/>).</summary>
    public static int NetGenSize(int input, int kernel, int stride, int pad, Rounding round) => WindowOutput.Size(input, kernel, stride, pad, round);

    /// <summary>
    /// ONNX's output size with padding <paramref name="head"/> before and <paramref name="tail"/> after:
    /// floor, or with <paramref name="ceil"/> (pooling's ceil_mode) ceil with ONNX Runtime's rule that
    /// the last window starts inside the input or its head padding.
    /// </summary>
    public static long OnnxSize(long input, long kernel, long stride, long head, long tail, bool ceil)
    {
        long span = input + head + tail - kernel;
        if (span < 0)
            return 0;
        if (!ceil)
            return span / stride + 1;
        long output = (span + stride - 1) / stride + 1;
        if ((output - 1) * stride >= input + head)
            output--;
        return output;
    }

    /// <summary>
    /// The fit of a window over <paramref name="input"/> with ONNX's <paramref name="pads"/> (top,
    /// left, bottom, right), or a reason it has none: NetGen pads top and left alike, and some
    /// rounding of its formula must give ONNX's output size.
    /// </summary>
    public static (WindowFit? Fit, string? Problem) Find(Shape input, int kernel, int stride, long[] pads, bool ceil)
    {
        long top = pads[0], left = pads[1], bottom = pads[2], right = pads[3];
        if (pads.Any(p => p < 0))
            return (null, $"pads [{string.Join(", ", pads)}], some negative; NetGen pads with zeros");
        if (top != left)
            return (null, $"pads the top by {top} and the left by {left}; NetGen pads both by one Pad");
        long height = OnnxSize(input.Height, kernel, stride, top, bottom, ceil);
        long width = OnnxSize(input.Width, kernel, stride, left, right, ceil);
        if (height < 1 || width < 1)
            return (null, $"has a {kernel}x{kernel} window larger than its padded {input.Height} x {input.Width} input");
        int pad = checked((int)top);
        var roundings = new[] { Rounding.Exact, Rounding.Floor, Rounding.Ceil }
            .Where(r => input.Height + 2L * pad >= kernel && input.Width + 2L * pad >= kernel
                && (r != Rounding.Exact || ((input.Height + 2L * pad - kernel) % stride == 0 && (input.Width + 2L * pad - kernel) % stride == 0))
                && NetGenSize(input.Height, kernel, stride, pad, r) == height && NetGenSize(input.Width, kernel, stride, pad, r) == width)
            .ToArray();
        if (roundings.Length == 0)
            return (null, $"pads [{string.Join(", ", pads)}]{(ceil ? " with ceil_mode" : "")}, which gives a {height} x {width} output from {input.Height} x {input.Width}; " +
                $"NetGen's Pad = {pad} gives {Sizes(input, kernel, stride, pad, Rounding.Floor)} rounded down and {Sizes(input, kernel, stride, pad, Rounding.Ceil)} rounded up");
        return (new WindowFit(pad, (int)height, (int)width, roundings), null);
    }

    private static string Sizes(Shape input, int kernel, int stride, int pad, Rounding round) =>
        input.Height + 2L * pad < kernel || input.Width + 2L * pad < kernel ? "nothing"
            : $"{NetGenSize(input.Height, kernel, stride, pad, round)} x {NetGenSize(input.Width, kernel, stride, pad, round)}";

    /// <summary>
    /// ONNX's padding of a node: its <c>pads</c> (top, left, bottom, right), or what <c>auto_pad</c>
    /// makes of its input (SAME_UPPER puts the odd one at the end, SAME_LOWER at the start).
    /// </summary>
    public static long[]? Pads(OnnxNode node, Shape input, int kernel, int stride, out string? problem)
    {
        problem = null;
        string auto = node.Text("auto_pad", "NOTSET");
        switch (auto)
        {
            case "NOTSET":
                var pads = node.Ints("pads") ?? [0, 0, 0, 0];
                if (pads.Count != 4)
                {
                    problem = $"has {pads.Count} pads; a 2-D window has 4";
                    return null;
                }
                return [.. pads];
            case "VALID":
                return [0, 0, 0, 0];
            case "SAME_UPPER":
            case "SAME_LOWER":
                long Total(int size) => Math.Max(0, ((size + stride - 1) / stride - 1) * (long)stride + kernel - size);
                long height = Total(input.Height), width = Total(input.Width);
                return auto == "SAME_UPPER"
                    ? [height / 2, width / 2, height - height / 2, width - width / 2]
                    : [height - height / 2, width - width / 2, height / 2, width / 2];
            default:
                problem = $"has auto_pad '{auto}', which ONNX does not define";
                return null;
        }
    }
}
