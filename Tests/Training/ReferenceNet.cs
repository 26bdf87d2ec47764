using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace NetGen.Tests.Training;

/// <summary>
/// A network written out by hand, layer by layer, computing in double: the forward pass, the mean
/// cross-entropy and, by the chain rule, every parameter's gradient. Its backward steps scatter
/// (each output adds to what it read) where the generated kernels gather, so the two share no
/// structure. Parameters are one flat array laid out as the network's parameter table.
/// </summary>
internal sealed class ReferenceNet(NetworkInfo info, params ReferenceNet.Op[] ops)
{
    public abstract record Op
    {
        public abstract double[] Forward(double[] x, int batch, double[] p);

        /// <summary>Returns the input's gradient and adds the parameters' into <paramref name="g"/>.</summary>
        public abstract double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g);
    }

    public IReadOnlyList<Op> Ops => ops;

    /// <summary>Label smoothing e: each image's target is 1 - e + e / classes on its label and e / classes elsewhere.</summary>
    public double Smoothing { get; init; }

    /// <summary>The target probability of class <paramref name="i"/> for an image of class <paramref name="label"/>.</summary>
    private double Target(int i, int label, int classes) => (i == label ? 1 - Smoothing : 0) + Smoothing / classes;

    /// <summary>The offset of the parameter tensor <paramref name="name"/> in the flat layout.</summary>
    public int Offset(string name) => (int)info.Parameters.Single(t => t.Name == name).Offset;

    /// <summary>Mean cross-entropy (against the smoothed targets) of the batch, and every activation (the first is the input, the last the logits).</summary>
    public double Loss(double[] images, int[] labels, double[] p, out List<double[]> activations)
    {
        int batch = labels.Length;
        activations = [images];
        foreach (var op in ops)
            activations.Add(op.Forward(activations[^1], batch, p));
        var logits = activations[^1];
        int classes = logits.Length / batch;
        double loss = 0;
        for (int n = 0; n < batch; n++)
        {
            var row = logits.AsSpan(n * classes, classes);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var v in row)
                max = Math.Max(max, v);
            foreach (var v in row)
                sum += Math.Exp(v - max);
            // -sum q log p, with log p = logit - max - log sum: written out term by term.
            for (int i = 0; i < classes; i++)
                loss -= Target(i, labels[n], classes) * (row[i] - max - Math.Log(sum));
        }
        return loss / batch;
    }

    public double Loss(double[] images, int[] labels, double[] p) => Loss(images, labels, p, out _);

    /// <summary>The loss, every parameter's gradient, and every activation's gradient (index as the activations).</summary>
    public (double Loss, double[] Gradients, List<double[]> ActivationGradients) Backward(double[] images, int[] labels, double[] p)
    {
        int batch = labels.Length;
        double loss = Loss(images, labels, p, out var a);
        var logits = a[^1];
        int classes = logits.Length / batch;
        var dy = new double[logits.Length];
        for (int n = 0; n < batch; n++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < classes; i++)
                max = Math.Max(max, logits[n * classes + i]);
            for (int i = 0; i < classes; i++)
                sum += Math.Exp(logits[n * classes + i] - max);
            for (int i = 0; i < classes; i++)
                dy[n * classes + i] = (Math.Exp(logits[n * classes + i] - max) / sum - Target(i, labels[n], classes)) / batch;
        }
        var g = new double[p.Length];
        var gradients = new List<double[]> { dy };
        for (int k = ops.Length - 1; k >= 0; k--)
        {
            dy = ops[k].Backward(a[k], a[k + 1], dy, batch, p, g);
            gradients.Insert(0, dy);
        }
        return (loss, g, gradients);
    }

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>A convolution with its weight at <paramref name="W"/> and its bias at <paramref name="B"/> (-1: none).</summary>
    public sealed record Conv(Shape In, int Filters, int Kernel, int Stride, int Pad, int Groups, Shape Out, int W, int B) : Op
    {
        private int PerGroupIn => In.Channels / Groups;
        private int PerGroupOut => Filters / Groups;

        /// <summary>
        /// Calls <paramref name="visit"/>(input index, weight index) for every product that output
        /// (n, f, oy, ox) sums; each call of <paramref name="visit"/> is one term of the chain rule.
        /// </summary>
        private void Taps<TVisit>(int n, int f, int oy, int ox, ref TVisit visit) where TVisit : struct, ITap
        {
            int g = f / PerGroupOut;
            for (int c = 0; c < PerGroupIn; c++)
                for (int ky = 0; ky < Kernel; ky++)
                {
                    int iy = oy * Stride - Pad + ky;
                    if (iy < 0 || iy >= In.Height)
                        continue;
                    for (int kx = 0; kx < Kernel; kx++)
                    {
                        int ix = ox * Stride - Pad + kx;
                        if (ix >= 0 && ix < In.Width)
                            visit.Visit(((n * In.Channels + g * PerGroupIn + c) * In.Height + iy) * In.Width + ix, W + ((f * PerGroupIn + c) * Kernel + ky) * Kernel + kx);
                    }
                }
        }

        private int OutIndex(int n, int f, int oy, int ox) => ((n * Filters + f) * Out.Height + oy) * Out.Width + ox;

        public override double[] Forward(double[] x, int batch, double[] p)
        {
            var y = new double[batch * Out.Size];
            Parallel.For(0, batch * Filters, job =>
            {
                int n = job / Filters, f = job % Filters;
                for (int oy = 0; oy < Out.Height; oy++)
                    for (int ox = 0; ox < Out.Width; ox++)
                    {
                        var tap = new SumTap(x, p) { Sum = B < 0 ? 0 : p[B + f] };
                        Taps(n, f, oy, ox, ref tap);
                        y[OutIndex(n, f, oy, ox)] = tap.Sum;
                    }
            });
            return y;
        }

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g)
        {
            var dx = new double[x.Length];
            // Weight and bias: each filter's own slice, so filters run in parallel.
            Parallel.For(0, Filters, f =>
            {
                for (int n = 0; n < batch; n++)
                    for (int oy = 0; oy < Out.Height; oy++)
                        for (int ox = 0; ox < Out.Width; ox++)
                        {
                            double d = dy[OutIndex(n, f, oy, ox)];
                            if (B >= 0)
                                g[B + f] += d;
                            var tap = new WeightTap(x, g, d);
                            Taps(n, f, oy, ox, ref tap);
                        }
            });
            // Input: each image's own slice.
            Parallel.For(0, batch, n =>
            {
                for (int f = 0; f < Filters; f++)
                    for (int oy = 0; oy < Out.Height; oy++)
                        for (int ox = 0; ox < Out.Width; ox++)
                        {
                            var tap = new InputTap(dx, p, dy[OutIndex(n, f, oy, ox)]);
                            Taps(n, f, oy, ox, ref tap);
                        }
            });
            return dx;
        }
    }

    public interface ITap
    {
        void Visit(int input, int weight);
    }

    private struct SumTap(double[] x, double[] p) : ITap
    {
        public double Sum;

        public void Visit(int input, int weight) => Sum += x[input] * p[weight];
    }

    private readonly struct WeightTap(double[] x, double[] g, double d) : ITap
    {
        public void Visit(int input, int weight) => g[weight] += d * x[input];
    }

    private readonly struct InputTap(double[] dx, double[] p, double d) : ITap
    {
        public void Visit(int input, int weight) => dx[input] += d * p[weight];
    }

    /// <summary>A dense layer with its weight at <paramref name="W"/> and its bias at <paramref name="B"/> (-1: none).</summary>
    public sealed record Dense(int Inputs, int Units, int W, int B) : Op
    {
        public override double[] Forward(double[] x, int batch, double[] p)
        {
            var y = new double[batch * Units];
            Parallel.For(0, batch * Units, job =>
            {
                int n = job / Units, u = job % Units;
                double sum = B < 0 ? 0 : p[B + u];
                for (int i = 0; i < Inputs; i++)
                    sum += x[n * Inputs + i] * p[W + u * Inputs + i];
                y[job] = sum;
            });
            return y;
        }

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g)
        {
            var dx = new double[x.Length];
            Parallel.For(0, Units, u =>
            {
                for (int n = 0; n < batch; n++)
                {
                    double d = dy[n * Units + u];
                    if (B >= 0)
                        g[B + u] += d;
                    for (int i = 0; i < Inputs; i++)
                        g[W + u * Inputs + i] += d * x[n * Inputs + i];
                }
            });
            Parallel.For(0, batch, n =>
            {
                for (int u = 0; u < Units; u++)
                    for (int i = 0; i < Inputs; i++)
                        dx[n * Inputs + i] += dy[n * Units + u] * p[W + u * Inputs + i];
            });
            return dx;
        }
    }

    public sealed record Relu : Op
    {
        public override double[] Forward(double[] x, int batch, double[] p) => Array.ConvertAll(x, v => v > 0 ? v : 0);

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g) =>
            x.Select((v, i) => v > 0 ? dy[i] : 0).ToArray();
    }

    /// <summary>Inverted dropout with the masks of <see cref="DropoutKey.Keeps"/>; a default key passes values through.</summary>
    public sealed record Dropout(int Id, float Rate, DropoutKey Key) : Op
    {
        private double Factor(int i) => Key.Training == 0 ? 1 : Key.Keeps(Id, i, Rate) ? 1 / (1 - (double)Rate) : 0;

        public override double[] Forward(double[] x, int batch, double[] p) => x.Select((v, i) => v * Factor(i)).ToArray();

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g) =>
            dy.Select((d, i) => d * Factor(i)).ToArray();
    }

    /// <summary>b_i = a_i / (k + alpha * sum of a_j^2 over i's window)^beta, the window inside i's column; alpha as the kernel uses it.</summary>
    public sealed record Lrn(Shape Shape, int Size, double Alpha, double Beta, double K, int Columns) : Op
    {
        private (int Lo, int Hi) Window(int c)
        {
            int perColumn = Shape.Channels / Columns, column = c / perColumn;
            return (Math.Max(column * perColumn, c - Size / 2), Math.Min((column + 1) * perColumn - 1, c + Size / 2));
        }

        private double Scale(double[] x, int n, int c, int pixel)
        {
            int plane = Shape.Height * Shape.Width;
            var (lo, hi) = Window(c);
            double squares = 0;
            for (int j = lo; j <= hi; j++)
                squares += x[(n * Shape.Channels + j) * plane + pixel] * x[(n * Shape.Channels + j) * plane + pixel];
            return K + Alpha * squares;
        }

        public override double[] Forward(double[] x, int batch, double[] p)
        {
            int plane = Shape.Height * Shape.Width;
            var y = new double[x.Length];
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < Shape.Channels; c++)
                    for (int q = 0; q < plane; q++)
                    {
                        int i = (n * Shape.Channels + c) * plane + q;
                        y[i] = x[i] * Math.Pow(Scale(x, n, c, q), -Beta);
                    }
            return y;
        }

        /// <summary>Each output b_i sends dy_i * (d b_i / d a_j) to every a_j of its window.</summary>
        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g)
        {
            int plane = Shape.Height * Shape.Width;
            var dx = new double[x.Length];
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < Shape.Channels; c++)
                    for (int q = 0; q < plane; q++)
                    {
                        int i = (n * Shape.Channels + c) * plane + q;
                        double s = Scale(x, n, c, q);
                        dx[i] += dy[i] * Math.Pow(s, -Beta);
                        var (lo, hi) = Window(c);
                        for (int j = lo; j <= hi; j++)
                        {
                            int a = (n * Shape.Channels + j) * plane + q;
                            dx[a] -= dy[i] * 2 * Alpha * Beta * x[i] * x[a] * Math.Pow(s, -Beta - 1);
                        }
                    }
            return dx;
        }
    }

    /// <summary>Max pooling (the first maximum in row-major order wins) or PyTorch's average (padding counts in the divisor, a ceil overhang does not).</summary>
    public sealed record Pool(bool Max, Shape In, int Window, int Stride, int Pad, Shape Out) : Op
    {
        /// <summary>The window of output (oy, ox): its input positions inside the image, and the divisor of an average.</summary>
        private (List<int> Positions, int Divisor) Cells(int oy, int ox)
        {
            int y0 = oy * Stride - Pad, x0 = ox * Stride - Pad;
            int y1 = Math.Min(y0 + Window, In.Height + Pad), x1 = Math.Min(x0 + Window, In.Width + Pad);
            var cells = new List<int>();
            for (int iy = Math.Max(y0, 0); iy < Math.Min(y1, In.Height); iy++)
                for (int ix = Math.Max(x0, 0); ix < Math.Min(x1, In.Width); ix++)
                    cells.Add(iy * In.Width + ix);
            return (cells, (y1 - y0) * (x1 - x0));
        }

        private void Each(int batch, Action<int, int, List<int>, int> visit)
        {
            for (int nc = 0; nc < batch * In.Channels; nc++)
                for (int oy = 0; oy < Out.Height; oy++)
                    for (int ox = 0; ox < Out.Width; ox++)
                    {
                        var (cells, divisor) = Cells(oy, ox);
                        visit(nc * In.Height * In.Width, (nc * Out.Height + oy) * Out.Width + ox, cells, divisor);
                    }
        }

        private static int ArgMax(double[] x, int plane, List<int> cells)
        {
            int best = -1;
            foreach (var c in cells)
                if (best < 0 || x[plane + c] > x[plane + best])
                    best = c;
            return best;
        }

        public override double[] Forward(double[] x, int batch, double[] p)
        {
            var y = new double[batch * Out.Size];
            Each(batch, (plane, o, cells, divisor) =>
                y[o] = Max ? x[plane + ArgMax(x, plane, cells)] : cells.Sum(c => x[plane + c]) / divisor);
            return y;
        }

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g)
        {
            var dx = new double[x.Length];
            Each(batch, (plane, o, cells, divisor) =>
            {
                if (Max)
                    dx[plane + ArgMax(x, plane, cells)] += dy[o];
                else
                    foreach (var c in cells)
                        dx[plane + c] += dy[o] / divisor;
            });
            return dx;
        }
    }

    /// <summary>Global average pooling: each (image, channel) plane's mean.</summary>
    public sealed record GlobalAvgPool(Shape In) : Op
    {
        public override double[] Forward(double[] x, int batch, double[] p)
        {
            int plane = In.Height * In.Width;
            var y = new double[batch * In.Channels];
            for (int nc = 0; nc < y.Length; nc++)
            {
                for (int q = 0; q < plane; q++)
                    y[nc] += x[nc * plane + q];
                y[nc] /= plane;
            }
            return y;
        }

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g)
        {
            int plane = In.Height * In.Width;
            var dx = new double[x.Length];
            for (int nc = 0; nc < dy.Length; nc++)
                for (int q = 0; q < plane; q++)
                    dx[nc * plane + q] += dy[nc] / plane;
            return dx;
        }
    }
}
