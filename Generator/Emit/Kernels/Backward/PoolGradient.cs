using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// Pooling's input gradient, one thread per input value, gathering from every window that holds it.
/// Max: a window's gradient goes to the element the forward pass chose, found again the same way
/// (the first maximum in row-major order), so ties route exactly as forward broke them.
/// Average: each window's gradient is shared out by the forward pass's divisor.
/// </summary>
internal static class PoolGradient
{
    public static void Input(SourceWriter w, PoolSpec pool, OpModel op)
    {
        Shape input = op.Input, output = op.Output;
        w.Line($"int ix = index % {input.Width};");
        w.Line($"int iy = index / {input.Width} % {input.Height};");
        w.Line($"int inputPlane = index / {input.Height * input.Width} * {input.Height * input.Width};");
        w.Line($"int deltaPlane = index / {input.Height * input.Width} * {output.Height * output.Width};");
        w.Line("float gradient = 0f;");
        using (KernelEmitter.OutputsTouching(w, 'y', input.Height, output.Height, pool.Window, pool.Stride, pool.Pad))
        using (KernelEmitter.OutputsTouching(w, 'x', input.Width, output.Width, pool.Window, pool.Stride, pool.Pad))
        {
            string d = $"delta[deltaPlane + oy * {output.Width} + ox]";
            if (pool.IsMax)
                WriteRoute(w, pool, input, d);
            else
                w.Line($"gradient += {d} / ({PoolKernel.Divisor(w, pool, input, output)});");
        }
    }

    private static void WriteRoute(SourceWriter w, PoolSpec pool, Shape input, string d)
    {
        w.Line("// The element window (oy, ox) took: its first maximum, as the forward kernel chose it.");
        w.Line($"int top = oy * {pool.Stride}" + (pool.Pad != 0 ? $" - {pool.Pad}" : "") + $", left = ox * {pool.Stride}" + (pool.Pad != 0 ? $" - {pool.Pad}" : "") + ";");
        w.Line($"int bottom = top + {pool.Window} < {input.Height} ? top + {pool.Window} : {input.Height};");
        w.Line($"int right = left + {pool.Window} < {input.Width} ? left + {pool.Window} : {input.Width};");
        w.Line("float best = float.NegativeInfinity;");
        w.Line("int chosen = -1;");
        using (w.Block("for (int y = top > 0 ? top : 0; y < bottom; y++)"))
        using (w.Block("for (int x = left > 0 ? left : 0; x < right; x++)"))
        {
            w.Line($"float a = input[inputPlane + y * {input.Width} + x];");
            using (w.Block("if (a > best)"))
            {
                w.Line("best = a;");
                w.Line($"chosen = y * {input.Width} + x;");
            }
        }
        w.Line($"if (chosen == iy * {input.Width} + ix)");
        w.Line($"    gradient += {d};");
    }
}
