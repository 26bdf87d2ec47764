using System;
using System.Threading.Tasks;

namespace NetGen.Tests.Kernels;

/// <summary>
/// Plain reference loops for every forward operation, written from the definitions (ALEXNET.md,
/// PyTorch's documentation) and accumulating in double. Deliberately naive: they are the
/// independent computation the generated kernels are held to. Tensors are NCHW.
/// </summary>
internal static class Reference
{
    public static float[] Conv(float[] x, int batch, Shape input, float[] w, float[] b, int filters, int kernel, int stride, int pad, int groups, Shape output)
    {
        var y = new float[batch * output.Size];
        int perGroupIn = input.Channels / groups, perGroupOut = filters / groups;
        Parallel.For(0, batch * filters, job =>
        {
            int n = job / filters, f = job % filters, g = f / perGroupOut;
            for (int oy = 0; oy < output.Height; oy++)
                for (int ox = 0; ox < output.Width; ox++)
                {
                    double sum = b[f];
                    for (int c = 0; c < perGroupIn; c++)
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                if (iy < 0 || iy >= input.Height || ix < 0 || ix >= input.Width)
                                    continue; // zero padding
                                sum += (double)x[((n * input.Channels + g * perGroupIn + c) * input.Height + iy) * input.Width + ix]
                                    * w[((f * perGroupIn + c) * kernel + ky) * kernel + kx];
                            }
                    y[((n * filters + f) * output.Height + oy) * output.Width + ox] = (float)sum;
                }
        });
        return y;
    }

    public static float[] Dense(float[] x, int batch, int inputs, float[] w, float[] b, int units)
    {
        var y = new float[batch * units];
        Parallel.For(0, batch * units, job =>
        {
            int n = job / units, u = job % units;
            double sum = b[u];
            for (int i = 0; i < inputs; i++)
                sum += (double)x[n * inputs + i] * w[u * inputs + i];
            y[job] = (float)sum;
        });
        return y;
    }

    public static float[] Relu(float[] x) => Array.ConvertAll(x, v => Math.Max(v, 0f));

    /// <summary>b = a / (k + alpha * sum over the window of a^2)^beta, the window clipped to the channel's column.</summary>
    public static float[] Lrn(float[] x, int batch, Shape s, int size, double alpha, double beta, double k, int columns)
    {
        var y = new float[x.Length];
        int perColumn = s.Channels / columns, plane = s.Height * s.Width;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < s.Channels; c++)
            {
                int column = c / perColumn;
                int lo = Math.Max(column * perColumn, c - size / 2), hi = Math.Min((column + 1) * perColumn - 1, c + size / 2);
                for (int p = 0; p < plane; p++)
                {
                    double squares = 0;
                    for (int j = lo; j <= hi; j++)
                        squares += Math.Pow(x[(n * s.Channels + j) * plane + p], 2);
                    int i = (n * s.Channels + c) * plane + p;
                    y[i] = (float)(x[i] / Math.Pow(k + alpha * squares, beta));
                }
            }
        return y;
    }

    public static float[] MaxPool(float[] x, int batch, Shape input, int window, int stride, int pad, Shape output) =>
        Pool(x, batch, input, window, stride, pad, output, (values, _) => values.Count == 0 ? double.NaN : values.Max());

    /// <summary>PyTorch's average: the divisor counts padding, but not a ceil-rounded window's overhang past it.</summary>
    public static float[] AvgPool(float[] x, int batch, Shape input, int window, int stride, int pad, Shape output) =>
        Pool(x, batch, input, window, stride, pad, output, (values, divisor) => values.Sum() / divisor);

    private static float[] Pool(float[] x, int batch, Shape input, int window, int stride, int pad, Shape output,
        Func<System.Collections.Generic.List<double>, int, double> reduce)
    {
        var y = new float[batch * output.Size];
        for (int nc = 0; nc < batch * input.Channels; nc++)
            for (int oy = 0; oy < output.Height; oy++)
                for (int ox = 0; ox < output.Width; ox++)
                {
                    int y0 = oy * stride - pad, x0 = ox * stride - pad;
                    int y1 = Math.Min(y0 + window, input.Height + pad), x1 = Math.Min(x0 + window, input.Width + pad);
                    var values = new System.Collections.Generic.List<double>();
                    for (int iy = Math.Max(y0, 0); iy < Math.Min(y1, input.Height); iy++)
                        for (int ix = Math.Max(x0, 0); ix < Math.Min(x1, input.Width); ix++)
                            values.Add(x[(nc * input.Height + iy) * input.Width + ix]);
                    y[(nc * output.Height + oy) * output.Width + ox] = (float)reduce(values, (y1 - y0) * (x1 - x0));
                }
        return y;
    }

    public static float[] Softmax(float[] x, int batch)
    {
        int size = x.Length / batch;
        var y = new float[x.Length];
        for (int n = 0; n < batch; n++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < size; i++)
                max = Math.Max(max, x[n * size + i]);
            for (int i = 0; i < size; i++)
                sum += Math.Exp(x[n * size + i] - max);
            for (int i = 0; i < size; i++)
                y[n * size + i] = (float)(Math.Exp(x[n * size + i] - max) / sum);
        }
        return y;
    }

    private static double Max(this System.Collections.Generic.List<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (var v in values)
            max = Math.Max(max, v);
        return max;
    }

    private static double Sum(this System.Collections.Generic.List<double> values)
    {
        double sum = 0;
        foreach (var v in values)
            sum += v;
        return sum;
    }
}
