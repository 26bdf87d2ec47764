using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>One activation buffer: the network's input or the output of one fused kernel.</summary>
/// <param name="Name">As users ask for it: input, conv1, conv1.lrn, conv1.maxpool.</param>
/// <param name="Identifier">PascalCase, for shape constants and kernel methods: Conv1MaxPool.</param>
/// <param name="Field">camelCase, for the generated field that holds it: conv1MaxPool.</param>
internal sealed record ActivationPlan(string Name, string Identifier, string Field, Shape Shape, string Description);

/// <summary>A group's statistics over the batch (not per image), which its kernels share within a step.</summary>
/// <param name="Field">The generated field holding it: stemBatchNormStatistics.</param>
/// <param name="Count">Its floats.</param>
internal sealed record StatisticsPlan(string Field, int Count);

/// <summary>
/// One parameter tensor and where it sits in the flat parameter buffer: the one table through which
/// the forward pass, the backward pass, the optimiser, the checkpoints and the partition reach it.
/// </summary>
/// <param name="Name">As PyTorch's state dict names it: conv1.weight.</param>
/// <param name="Local">Its name within its operation, which kernels call it by: weight.</param>
/// <param name="Identifier">PascalCase, for its constant in the generated <c>TensorIndex</c>: Conv1Weight.</param>
internal sealed record ParameterPlan(
    string Name,
    string Local,
    string Identifier,
    EquatableArray<int> Dimensions,
    long Offset,
    long Count,
    float InitMean,
    float InitStd,
    float LrMult,
    float DecayMult,
    bool Trainable,
    float InitBound,
    string DType);

/// <summary>
/// A fused group: one kernel that runs a main operation and then, on each value before it is
/// stored, the elementwise operations written after it (bias and ReLU on a convolution, ReLU and
/// dropout on a dense layer).
/// </summary>
/// <param name="Method">The kernel's method name: Conv1, Conv1Lrn.</param>
/// <param name="Group">What the group fuses, for the generated comments: "conv 96, 11x11, stride 4 + bias + relu".</param>
/// <param name="Input">Index of the activation it reads.</param>
/// <param name="Output">Index of the activation it writes.</param>
/// <param name="Tensors">Its main operation's tensors, as indices in the parameter table.</param>
/// <param name="Saved">Where it keeps its value from before the epilogue, for an epilogue that is not all gates (see ElementwiseOperation); else null.</param>
/// <param name="ThreadsPerImage">Threads launched per image: one per output value, or one per image for softmax.</param>
/// <param name="Join">A join right after the main operation (a residual Add), combined before the epilogue; else null.</param>
/// <param name="JoinInput">Index of the activation the join reads (an earlier layer's output), or -1.</param>
/// <param name="Statistics">The buffer of the main operation's batch statistics (batch normalisation), or null.</param>
internal sealed record KernelPlan(
    string Method,
    string Group,
    LayerModel Layer,
    OpModel Main,
    EquatableArray<OpModel> Epilogue,
    int Input,
    int Output,
    EquatableArray<int> Tensors,
    ActivationPlan? Saved,
    long ThreadsPerImage,
    OpModel? Join = null,
    int JoinInput = -1,
    StatisticsPlan? Statistics = null)
{
    /// <summary>Whether its kernels take the step's key: its epilogue drops out, or it behaves differently in training and evaluation.</summary>
    public bool ReadsKey => HasDropout || Operation.ReadsMode;

    /// <summary>The statistics kernel's method name: Conv1BatchNormStatistics.</summary>
    public string StatisticsMethod => Method + "Statistics";

    /// <summary>Whether its epilogue draws dropout masks, so its kernels take the dropout key.</summary>
    public bool HasDropout => System.Linq.Enumerable.Any(Epilogue, o => o.Elementwise.UsesDropoutKey);

    public Operations.MainOperation Operation => Main.Main;
}

/// <summary>
/// Everything Emit needs: the model, its activations, its parameter table, its forward kernels in
/// order, its backward pass, and, for a network with several columns, its split over as many devices.
/// </summary>
internal sealed record NetworkPlan(
    NetworkModel Model,
    EquatableArray<ActivationPlan> Activations,
    EquatableArray<ParameterPlan> Parameters,
    EquatableArray<KernelPlan> Kernels,
    BackwardPlan Backward,
    PartitionPlan? Partition);
