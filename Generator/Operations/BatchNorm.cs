using System.Collections.Generic;
using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Batch normalisation, as PyTorch's <c>nn.BatchNorm2d</c> (per channel) and <c>nn.BatchNorm1d</c>
/// (per unit, after a dense layer, where a plane is one value). It needs the whole batch before it
/// can write one value, so it keeps <see cref="MainOperation.BatchStatistics"/>: a statistics kernel
/// (one thread per channel) fills them before the forward kernel, from the batch in training and
/// from the running estimates in evaluation, and updates the running estimates in training. The
/// same buffer carries the two sums the input gradient needs from the tensor-gradient kernels, which
/// run before it. Every sum runs in double, in sixteen partial sums in a fixed order (the CPU
/// backend's, which runs them as vectors), so a step gives the same numbers every run and on both backends.
/// </summary>
/// <remarks>Statistics layout: [mean | 1 / sqrt(variance + eps) | sum of the gradient | sum of the gradient times x-hat], C each.</remarks>
[ReadFrom(typeof(BatchNormAttribute))]
internal sealed record BatchNorm(float Eps, float Momentum, LocationInfo? Location) : MainOperation(Location)
{
    public const int WeightTensor = 0, BiasTensor = 1, RunningMean = 2, RunningVar = 3, BatchesTracked = 4;

    public static Operation Read(OperationReading r)
    {
        var batchNorm = new BatchNormAttribute();
        return new BatchNorm(r.Args.Float(nameof(batchNorm.Eps), batchNorm.Eps), r.Args.Float(nameof(batchNorm.Momentum), batchNorm.Momentum), r.Location);
    }

    public override string Kind => "batchnorm";
    public override string AttributeName => "BatchNorm";

    public override string Describe() => "batch norm";

    public override void Check(RangeCheck check, string who)
    {
        check.Positive(Location, who, nameof(BatchNormAttribute.Eps), Eps);
        if (!(Momentum >= 0f && Momentum <= 1f))
            check.Report(Diagnostics.DiagnosticDescriptors.NotPositive, Location, who, nameof(BatchNormAttribute.Momentum), Format.Float(Momentum), "between 0 and 1");
    }

    public override Shape? Infer(ShapeRule rule) => rule.Input;

    public override bool CancelsBias => true;

    public override string? TensorPrefix => "bn";

    public override IReadOnlyList<TensorSpec> Tensors(Shape input, Shape output)
    {
        var perChannel = new[] { input.Channels }.ToEquatableArray();
        return
        [
            new("bn.weight", perChannel, 1f, 0f, 1f, 1f, Trainable: true),
            new("bn.bias", perChannel, 0f, 0f, 1f, 1f, Trainable: true),
            new("bn.running_mean", perChannel, 0f, 0f, 0f, 0f, Trainable: false),
            new("bn.running_var", perChannel, 1f, 0f, 0f, 0f, Trainable: false),
            // PyTorch keeps an int64 count (and so do checkpoints); the parameter buffer holds it as a float, exact to 2^24 batches.
            new("bn.num_batches_tracked", System.Array.Empty<int>().ToEquatableArray(), 0f, 0f, 0f, 0f, Trainable: false, DType: "I64"),
        ];
    }

    public override long MultiplyAdds(Shape input, Shape output) => output.Size;

    public override int BatchStatistics(OpModel op) => 4 * op.Input.Channels;

    public override bool ReadsMode => true;

    public override IReadOnlyList<int> KernelTensors => [WeightTensor, BiasTensor];

    public override IReadOnlyList<int> StatisticsTensors => [RunningMean, RunningVar, BatchesTracked];

    public override IReadOnlyList<int> InputGradientTensors => [WeightTensor];

    public override string IndexDoc(OpModel op) => op.Output.IsVector
        ? $"One thread per output value: n * {op.Output.Channels} + unit."
        : "One thread per output value: ((n * C + c) * H + y) * W + x.";

    private static int Plane(Shape s) => s.Height * s.Width;

    /// <summary>Declares the thread's channel and returns its name.</summary>
    private static string Channel(SourceWriter w, Shape s) => IndexMath.Declare(w, "c", IndexMath.Mod(IndexMath.Over("index", Plane(s)), s.Channels));

    /// <summary>
    /// Declares <paramref name="total"/>, the sum in double of <paramref name="term"/> over channel
    /// <c>index</c> (each value's index is <c>at</c>), in the CPU backend's order
    /// (<c>CpuBatchNorm.Lanes</c>): value p of each plane into partial sum p % 16, image by image, then
    /// the partial sums in turn. So both backends give the same bits, and the CPU's sums run sixteen at a time.
    /// </summary>
    private static void SumOverChannel(SourceWriter w, Shape s, string total, string term)
    {
        const int Lanes = 16;
        int plane = Plane(s), lanes = System.Math.Min(Lanes, plane);
        w.Line($"double {total} = 0.0;");
        if (lanes == 1)
        {
            // A plane of one value (after a dense layer): one partial sum, which is the sum.
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                w.Line($"int at = {IndexMath.Plus(IndexMath.Times("n", s.Channels), "index")};");
                w.Line($"{total} += {term};");
            }
            return;
        }
        using (w.Block($"for (int lane = 0; lane < {lanes}; lane++)"))
        {
            w.Line("double part = 0.0;");
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                string start = IndexMath.Declare(w, "start", IndexMath.Times(IndexMath.Plus(IndexMath.Times("n", s.Channels), "index"), plane), "(n, c) plane");
                if (plane <= Lanes)
                {
                    // One value of each plane per partial sum.
                    w.Line($"int at = {IndexMath.Plus(start, "lane")};");
                    w.Line($"part += {term};");
                }
                else
                {
                    using (w.Block($"for (int i = lane; i < {plane}; i += {Lanes})"))
                    {
                        w.Line($"int at = {IndexMath.Plus(start, "i")};");
                        w.Line($"part += {term};");
                    }
                }
            }
            w.Line($"{total} += part;");
        }
    }

    public override long StatisticsThreads(OpModel op) => op.Input.Channels;

    public override string StatisticsIndexDoc => "One thread per channel: c.";

    public override void WriteStatisticsKernel(KernelWriting k)
    {
        var w = k.W;
        var s = k.Input;
        int channels = s.Channels;
        w.Line($"double count = {IndexMath.Times("(double)batch", Plane(s))};");
        using (w.Block("if (training != 0)"))
        {
            SumOverChannel(w, s, "sum", "input[at]");
            w.Line("double mean = sum / count;");
            SumOverChannel(w, s, "squares", "(input[at] - mean) * (input[at] - mean)");
            w.Line("double variance = squares / count; // biased, as the normalisation uses it");
            w.Line("statistics[index] = (float)mean;");
            w.Line($"statistics[{IndexMath.Plus("index", channels)}] = (float)(1.0 / XMath.Sqrt(variance + {Format.FloatLiteral(Eps)}));");
            w.Line("double unbiased = count > 1.0 ? variance * count / (count - 1.0) : variance; // the running estimate's, as PyTorch's");
            string m = Format.FloatLiteral(Momentum);
            w.Line($"bnRunningMean[index] = (1f - {m}) * bnRunningMean[index] + {m} * (float)mean;");
            w.Line($"bnRunningVar[index] = (1f - {m}) * bnRunningVar[index] + {m} * (float)unbiased;");
            w.Line("if (index == 0)");
            using (w.Indent())
                w.Line("bnNumBatchesTracked[0] += 1f;");
        }
        using (w.Block("else"))
        {
            w.Line("statistics[index] = bnRunningMean[index];");
            w.Line($"statistics[{IndexMath.Plus("index", channels)}] = 1f / XMath.Sqrt(bnRunningVar[index] + {Format.FloatLiteral(Eps)});");
        }
    }

    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        string c = Channel(w, k.Input);
        w.Line($"float value = (input[index] - statistics[{c}]) * statistics[{IndexMath.Plus(c, k.Input.Channels)}] * bnWeight[{c}] + bnBias[{c}];");
    }

    public override long TensorGradientThreads(int tensor, OpModel op) => op.Input.Channels;

    public override bool TensorGradientReadsInput(int tensor) => tensor == WeightTensor;

    public override bool TensorGradientReadsStatistics => true;

    public override string TensorGradientIndexDoc(int tensor) => "One thread per channel: c.";

    /// <summary>The bias's gradient is the sum of the output's; the weight's, that sum weighted by the normalised input. Each is kept for the input gradient too.</summary>
    public override void WriteTensorGradient(int tensor, KernelWriting k)
    {
        var w = k.W;
        var s = k.Input;
        int channels = s.Channels;
        if (tensor == WeightTensor)
            w.Line($"float mean = statistics[index], invstd = statistics[{IndexMath.Plus("index", channels)}];");
        SumOverChannel(w, s, "sum", tensor == WeightTensor ? "delta[at] * ((input[at] - mean) * invstd)" : "delta[at]");
        int slot = tensor == WeightTensor ? 3 : 2;
        w.Line($"statistics[{IndexMath.Plus("index", slot * channels)}] = (float)sum; // for the input gradient");
        w.Line($"{(tensor == WeightTensor ? "bnWeightGradient" : "bnBiasGradient")}[index] += (float)sum;");
    }

    public override void WriteInputGradient(KernelWriting k)
    {
        var w = k.W;
        var s = k.Input;
        int channels = s.Channels;
        string c = Channel(w, s);
        w.Line($"float invstd = statistics[{IndexMath.Plus(c, channels)}];");
        w.Line("float gradient;");
        using (w.Block("if (training != 0)"))
        {
            w.Line($"float count = {IndexMath.Times("batch", Plane(s))};");
            w.Line($"float xhat = (input[index] - statistics[{c}]) * invstd;");
            w.Line($"gradient = bnWeight[{c}] * invstd / count * (count * delta[index] - statistics[{IndexMath.Plus(c, 2 * channels)}] - xhat * statistics[{IndexMath.Plus(c, 3 * channels)}]);");
        }
        using (w.Block("else"))
            w.Line($"gradient = delta[index] * bnWeight[{c}] * invstd; // the running statistics are constants");
    }

    public override bool FusesReluOnCpu => true;

    public override bool FusesSumOnCpu => true;

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) => null;

    public override void WriteCpuForward(CpuStep s)
    {
        int plane = Plane(s.Input), channels = s.Input.Channels;
        s.W.Line($"CpuBatchNorm.Statistics({s.InputField}, {s.Tensors[RunningMean]}, {s.Tensors[RunningVar]}, {s.Tensors[BatchesTracked]}, {s.Statistics}, BatchSize, {channels}, {plane}, {Format.FloatLiteral(Eps)}, {Format.FloatLiteral(Momentum)}, {s.Training});");
        s.W.Line($"CpuBatchNorm.Normalise({s.InputField}, {s.OutputField}, {s.Tensors[WeightTensor]}, {s.Tensors[BiasTensor]}, {s.Statistics}, BatchSize, {channels}, {plane}, {s.Addend ?? "default"}, relu: {s.Relu});");
    }

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuBatchNorm.Backward({s.InputField}, {s.Delta}, {s.Tensors[WeightTensor]}, {s.Statistics}, {s.TensorGradients[WeightTensor]}, {s.TensorGradients[BiasTensor]}, {s.InputGradient}, BatchSize, {s.Input.Channels}, {Plane(s.Input)}, {s.Training});");

    /// <summary>ONNX's BatchNormalization on the running statistics (evaluation mode).</summary>
    public override void WriteOnnx(OnnxWriting o) =>
        o.Node("BatchNormalization", Kind, [o.Current, o.Tensor("bn.weight"), o.Tensor("bn.bias"), o.Tensor("bn.running_mean"), o.Tensor("bn.running_var")],
            OnnxWriting.Float("epsilon", Eps), OnnxWriting.Float("momentum", 1f - Momentum));

    /// <summary>An <c>nn.BatchNorm2d</c> (<c>1d</c> after a dense layer) as the submodule <c>bn</c> of the layer's module.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        string module = p.AddSubmodule("bn", $"nn.BatchNorm{(p.Flat ? 1 : 2)}d({p.Op.Input.Channels}, eps={PyTorchWriting.Float(Eps)}, momentum={PyTorchWriting.Float(Momentum)})");
        p.Assign($"{module}(h)", Describe());
    }
}
