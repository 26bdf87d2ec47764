using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>
/// Writes N.Kernels.g.cs: one ILGPU kernel per fused group, every size a literal so ILGPU's
/// compiler folds the index arithmetic and unrolls what it can. The batch size is the only thing
/// a kernel learns at run time, from the number of threads it is launched with.
/// </summary>
internal static class KernelEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var w = new SourceWriter();
        using (TypeScope.Open(w, plan.Model.Type, null, "ILGPU", "ILGPU.Algorithms"))
        {
            w.Line("/// <summary>");
            w.Line($"/// The forward kernels of {plan.Model.Type.Name}, one per fused group. Tensors are NCHW float32;");
            w.Line("/// N, the batch size, is the only size not written in as a literal.");
            w.Line("/// </summary>");
            using (w.Block("public static class Kernels"))
            {
                bool first = true;
                foreach (var kernel in plan.Kernels)
                {
                    if (!first)
                        w.Line();
                    first = false;
                    if (kernel.Statistics is not null)
                    {
                        WriteStatistics(w, plan, kernel);
                        w.Line();
                    }
                    Write(w, plan, kernel);
                }
            }
        }
        return w.ToString();
    }

    /// <summary>The kernel's parameters after the index, with what the forward pass passes for each.</summary>
    public static IReadOnlyList<KernelParameter> Parameters(NetworkPlan plan, KernelPlan kernel)
    {
        var list = new List<KernelParameter> { Input(plan, kernel) };
        foreach (int t in kernel.Operation.KernelTensors ?? Enumerable.Range(0, kernel.Tensors.Count).ToList())
            list.Add(KernelParameter.Floats(plan.Parameters[kernel.Tensors[t]].Local, Dims(plan.Parameters[kernel.Tensors[t]]), Tensor(plan, kernel.Tensors[t])));
        if (kernel.Join is { } join)
        {
            var operand = plan.Activations[kernel.JoinInput];
            list.Add(KernelParameter.Floats(join.Join.Operand, $"{Dims(operand.Shape)} {operand.Name}, which the {join.Op.Kind} reads", operand.Field));
        }
        list.Add(KernelParameter.Floats("output", Dims(plan.Activations[kernel.Output].Shape), plan.Activations[kernel.Output].Field));
        if (kernel.Saved is { } saved)
            list.Add(KernelParameter.Floats("before", $"{Dims(saved.Shape)} written: the value before the epilogue, for the backward pass", saved.Field));
        if (kernel.HasDropout)
            list.Add(new("global::NetGen.DropoutKey", "dropout", "seed and step of the masks; a default key evaluates without dropout", "dropout"));
        if (kernel.Statistics is { } statistics)
            list.Add(Statistics(statistics, "read", ""));
        return list;
    }

    /// <summary>The parameters of a group's statistics kernel: its input, the tensors it updates, the statistics it writes, the mode and the batch.</summary>
    public static IReadOnlyList<KernelParameter> StatisticsParameters(NetworkPlan plan, KernelPlan kernel)
    {
        var list = new List<KernelParameter> { Input(plan, kernel) };
        foreach (int t in kernel.Operation.StatisticsTensors)
            list.Add(KernelParameter.Floats(plan.Parameters[kernel.Tensors[t]].Local, $"{Dims(plan.Parameters[kernel.Tensors[t]])} updated in training", Tensor(plan, kernel.Tensors[t])));
        list.Add(Statistics(kernel.Statistics!, "written", ""));
        list.AddRange(Mode("dropout"));
        return list;
    }

    /// <summary>The group's batch statistics, reached from <paramref name="pass"/> (<c>forward.</c> in the backward pass).</summary>
    public static KernelParameter Statistics(StatisticsPlan statistics, string how, string pass) =>
        KernelParameter.Floats("statistics", $"({statistics.Count}) {how}: the batch's statistics", pass + statistics.Field);

    /// <summary>Training or evaluation, from the step's key, and the batch size.</summary>
    public static IEnumerable<KernelParameter> Mode(string key)
    {
        yield return KernelParameter.Int("training", "1 in training (batch statistics), 0 in evaluation (running statistics)", key + ".Training");
        yield return KernelParameter.Int("batch", "N", "BatchSize");
    }

    private static KernelParameter Input(NetworkPlan plan, KernelPlan kernel) =>
        KernelParameter.Floats("input", Dims(plan.Activations[kernel.Input].Shape) + (kernel.Input == kernel.Output - 1 ? "" : $" {plan.Activations[kernel.Input].Name}"),
            plan.Activations[kernel.Input].Field);

    private static void WriteStatistics(SourceWriter w, NetworkPlan plan, KernelPlan kernel)
    {
        using (Open(w, kernel.StatisticsMethod, $"The batch statistics of {plan.Activations[kernel.Output].Name}'s {kernel.Main.Op.Describe()}, before its kernel runs.",
            kernel.Operation.StatisticsIndexDoc, StatisticsParameters(plan, kernel)))
            kernel.Operation.WriteStatisticsKernel(new KernelWriting(w, kernel.Main, plan.Model.Columns));
    }

    /// <summary>
    /// Writes a kernel's documentation (its summary, what thread <c>index</c> computes, each parameter)
    /// and opens its body; disposing the result closes it. Forward and backward kernels alike.
    /// </summary>
    public static System.IDisposable Open(SourceWriter w, string method, string summary, string indexDoc, IReadOnlyList<KernelParameter> parameters)
    {
        w.Line($"/// <summary>{summary}</summary>");
        w.Line($"/// <param name=\"index\">{indexDoc}</param>");
        foreach (var p in parameters)
            w.Line($"/// <param name=\"{p.Name}\">{p.Doc}</param>");
        return w.Block($"public static void {method}(Index1D index, {string.Join(", ", parameters.Select(p => p.Type + " " + p.Name))})");
    }

    /// <summary>Parameter tensor <paramref name="index"/> of the network's table, on its accelerator.</summary>
    public static string Tensor(NetworkPlan plan, int index) => $"network.Tensors[TensorIndex.{plan.Parameters[index].Identifier}].View";

    /// <summary>Its gradient in the buffer the optimiser reads.</summary>
    public static string TensorGradient(NetworkPlan plan, int index) => $"network.Tensors[TensorIndex.{plan.Parameters[index].Identifier}].Gradient(parameterGradients)";

    public static string Dims(ParameterPlan p) => "(" + string.Join(", ", p.Dimensions) + ")";

    private static void Write(SourceWriter w, NetworkPlan plan, KernelPlan kernel)
    {
        using (Open(w, kernel.Method, $"Fused group {plan.Activations[kernel.Output].Name}: {kernel.Group}.", kernel.Operation.IndexDoc(kernel.Main), Parameters(plan, kernel)))
        {
            kernel.Operation.WriteKernel(new KernelWriting(w, kernel.Main, plan.Model.Columns));
            if (!kernel.Operation.StoresValue)
                return;
            kernel.Join?.Join.WriteKernel(w);
            if (kernel.Saved is not null)
                w.Line("before[index] = value;");
            foreach (var op in kernel.Epilogue)
                op.Elementwise.WriteForward(w, op, ElementwiseCode.Kernel("index"));
            w.Line("output[index] = value;");
        }
    }

    public static string Dims(Shape s) => s.IsVector ? $"(N, {s.Channels})" : $"(N, {s.Channels}, {s.Height}, {s.Width})";

    /// <summary>
    /// Writes the lines that split the thread index into (n, c, y, x) of <paramref name="shape"/>
    /// and returns what names each: a coordinate that is always 0 (a size of 1) is the literal.
    /// </summary>
    public static Coordinates Decompose(SourceWriter w, Shape shape, string c, string y, string x)
    {
        int plane = shape.Height * shape.Width;
        string ox = IndexMath.Declare(w, x, IndexMath.Mod("index", shape.Width));
        string oy = IndexMath.Declare(w, y, IndexMath.Mod(IndexMath.Over("index", shape.Width), shape.Height));
        string oc = IndexMath.Declare(w, c, IndexMath.Mod(IndexMath.Over("index", plane), shape.Channels));
        string n = IndexMath.Declare(w, "n", IndexMath.Over("index", shape.Size));
        return new Coordinates(n, oc, oy, ox);
    }

    /// <summary>
    /// Starts a long float sum that keeps the rounding error of each addition (Neumaier's
    /// compensated summation): a convolution adds hundreds of channel partial sums, and float32's
    /// error over that many is enough to swap two near-equal values a max pool then chooses between.
    /// </summary>
    public static void BeginCompensatedSum(SourceWriter w, string sum) =>
        w.Line($"float {sum} = 0f, {sum}Error = 0f; // a compensated sum: {sum}Error keeps what rounding took");

    /// <summary>Adds <paramref name="term"/> to the compensated sum, recording the rounding error.</summary>
    public static void AddCompensated(SourceWriter w, string sum, string term)
    {
        w.Line($"float {sum}Next = {sum} + {term};");
        w.Line($"{sum}Error += XMath.Abs({sum}) >= XMath.Abs({term}) ? {sum} - {sum}Next + {term} : {term} - {sum}Next + {sum};");
        w.Line($"{sum} = {sum}Next;");
    }

    /// <summary>Folds the recorded rounding error back into the sum.</summary>
    public static void EndCompensatedSum(SourceWriter w, string sum) => w.Line($"{sum} += {sum}Error;");

    /// <summary>
    /// Opens the loop over one axis of a sliding window (<c>ky</c> or <c>kx</c>), for the output
    /// coordinate <paramref name="outer"/>: declares the input coordinate (<c>iy = oy * stride - pad + ky</c>)
    /// and skips the positions outside the input, with no test at all where every window lies inside
    /// it, the common case without padding. With <paramref name="overOutputs"/> the loop runs over the
    /// output coordinate instead, for the kernel offset <paramref name="outer"/>, as a weight gradient
    /// needs. A window of one (or one output) is no loop (<see cref="Loop"/>). Disposing the result closes it.
    /// </summary>
    public static Axis WindowAxis(SourceWriter w, char axis, int input, int output, int kernel, int stride, int pad, string outer, bool overOutputs = false)
    {
        var loop = overOutputs ? Loop.For(w, "o" + axis, output) : Loop.For(w, "k" + axis, kernel);
        string o = overOutputs ? loop.Variable : outer, k = overOutputs ? outer : loop.Variable;
        string i = IndexMath.Declare(w, "i" + axis, IndexMath.Plus(IndexMath.Plus(IndexMath.Times(o, stride), -pad), k));
        bool low = pad > 0;
        bool high = (long)(output - 1) * stride - pad + kernel - 1 >= input;
        loop.SkipWhere(low ? Condition.Below(i, "0") : null, high ? Condition.AtLeast(i, Format.Int(input)) : null);
        return new Axis(loop, k, o, i);
    }

    /// <summary>
    /// The transpose of <see cref="WindowAxis"/>, for gradients that gather: for the input coordinate
    /// <paramref name="i"/>, loops over the kernel offsets <c>ky</c> and declares the output <c>oy</c> whose window
    /// puts <c>ky</c> on <c>iy</c> (<c>oy * stride - pad + ky == iy</c>), skipping offsets no output has.
    /// </summary>
    public static Axis OutputsTouching(SourceWriter w, char axis, int input, int output, int kernel, int stride, int pad, string i)
    {
        var loop = Loop.For(w, "k" + axis, kernel);
        string k = loop.Variable;
        string shifted = IndexMath.Minus(IndexMath.Plus(i, pad), k);
        bool low = pad - (kernel - 1) < 0;
        bool high = (long)(input - 1 + pad) / stride >= output;
        if (stride == 1)
        {
            string o1 = IndexMath.Declare(w, "o" + axis, shifted);
            loop.SkipWhere(low ? Condition.Below(o1, "0") : null, high ? Condition.AtLeast(o1, Format.Int(output)) : null);
            return new Axis(loop, k, o1, i);
        }
        string t = IndexMath.Declare(w, "t" + axis, shifted, $"o{axis} * {stride}");
        loop.SkipWhere(low ? Condition.Below(t, "0") : null, Condition.NotMultiple(t, stride));
        string o = IndexMath.Declare(w, "o" + axis, IndexMath.Over(t, stride));
        loop.SkipWhere(high ? Condition.AtLeast(o, Format.Int(output)) : null);
        return new Axis(loop, k, o, i);
    }
}

/// <summary>A thread's coordinates in an NCHW tensor, each a name or, where its size is 1, the literal 0.</summary>
internal sealed record Coordinates(string N, string C, string Y, string X);

/// <summary>
/// One axis of a window, open until disposed: the kernel offset <see cref="K"/>, the output
/// coordinate <see cref="O"/> and the input coordinate <see cref="I"/>, each a name or an expression
/// (a loop that runs once leaves its variable a literal, and a coordinate equal to another is that one).
/// </summary>
internal sealed class Axis(Loop loop, string k, string o, string i) : System.IDisposable
{
    public string K => k;

    public string O => o;

    public string I => i;

    public void Dispose() => loop.Dispose();
}
