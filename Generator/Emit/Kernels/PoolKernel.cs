using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>
/// Max and average pooling, one thread per output value. Max: padding never wins, ties go to the
/// first element in row-major order (the one the backward pass will route to). Average: padding
/// counts as zeros in the divisor, the part of a ceil-rounded window past the padding does not.
/// </summary>
internal static class PoolKernel
{
    public static void Body(SourceWriter w, PoolSpec pool, OpModel op)
    {
        Shape input = op.Input, output = op.Output;
        w.Line($"int ox = index % {output.Width};");
        w.Line($"int oy = index / {output.Width} % {output.Height};");
        w.Line($"int inputPlane = index / {output.Height * output.Width} * {input.Height * input.Width}; // (n, c) plane of the input");
        w.Line(pool.IsMax ? "float value = float.NegativeInfinity;" : "float value = 0f;");
        using (KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, pool.Window, pool.Stride, pool.Pad))
        using (KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, pool.Window, pool.Stride, pool.Pad))
        {
            w.Line($"float a = input[inputPlane + iy * {input.Width} + ix];");
            w.Line(pool.IsMax ? "if (a > value) value = a;" : "value += a;");
        }
        if (!pool.IsMax)
            w.Line($"value /= {Divisor(w, pool, input, output)};");
    }

    /// <summary>
    /// The divisor of an average window at (oy, ox): window * window, except where a ceil-rounded
    /// window runs past the padded input; that part does not count. Writes the lines it needs.
    /// </summary>
    public static string Divisor(SourceWriter w, PoolSpec pool, Shape input, Shape output)
    {
        bool overhang = (long)(output.Height - 1) * pool.Stride - pool.Pad + pool.Window > input.Height + pool.Pad
            || (long)(output.Width - 1) * pool.Stride - pool.Pad + pool.Window > input.Width + pool.Pad;
        if (!overhang)
            return $"{pool.Window * pool.Window}f";
        w.Line("// A ceil-rounded window may run past the padded input; that part does not count.");
        w.Line($"int y0 = oy * {pool.Stride} - {pool.Pad}, x0 = ox * {pool.Stride} - {pool.Pad};");
        w.Line($"int y1 = y0 + {pool.Window} < {input.Height + pool.Pad} ? y0 + {pool.Window} : {input.Height + pool.Pad};");
        w.Line($"int x1 = x0 + {pool.Window} < {input.Width + pool.Pad} ? x0 + {pool.Window} : {input.Width + pool.Pad};");
        return "(y1 - y0) * (x1 - x0)";
    }
}
