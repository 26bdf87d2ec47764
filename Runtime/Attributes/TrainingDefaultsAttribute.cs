using System;

#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>
/// A network's own training defaults, declared beside it and used by <c>netgen train</c> when the
/// command line does not say otherwise. Every default is the paper's (ALEXNET.md, "Training" and
/// "Data"); a small network states only what it changes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class TrainingDefaultsAttribute : Attribute
{
    private readonly System.Collections.Generic.HashSet<string> declared = new();

    /// <summary>Whether the declaration sets <paramref name="setting"/> (a property name, such as <c>nameof(Epochs)</c>) itself, rather than leaving the paper's default.</summary>
    public bool Declares(string setting) => declared.Contains(setting);

    private T Declare<T>(T value, [System.Runtime.CompilerServices.CallerMemberName] string setting = "")
    {
        declared.Add(setting);
        return value;
    }

    /// <summary>Passes over the training set: about 90 in the paper.</summary>
    public int Epochs { get; set => field = Declare(value); } = 90;

    /// <summary>Images per step: 128.</summary>
    public int BatchSize { get; set => field = Declare(value); } = 128;

    /// <summary>The starting learning rate: 0.01.</summary>
    public float LearningRate { get; set => field = Declare(value); } = 0.01f;

    /// <summary>Momentum: 0.9.</summary>
    public float Momentum { get; set => field = Declare(value); } = 0.9f;

    /// <summary>Weight decay: 0.0005.</summary>
    public float WeightDecay { get; set => field = Declare(value); } = 0.0005f;

    /// <summary>The update rule: SGD with momentum, as in the paper (<c>Optimizer.Sgd</c>), Adam or AdamW.</summary>
    public Optimizer Optimizer { get; set => field = Declare(value); } = Optimizer.Sgd;

    /// <summary>
    /// Weight decay on every parameter, as the paper decays them. Off by default: biases and batch
    /// normalisation's scales and shifts are left undecayed, as today's recipes do (timm, torchvision's
    /// reference scripts with <c>--norm-weight-decay 0</c>).
    /// </summary>
    public bool DecayAll { get; set => field = Declare(value); }

    /// <summary>Nesterov momentum for SGD (<c>torch.optim.SGD(nesterov=True)</c>): off, as in the paper.</summary>
    public bool Nesterov { get; set => field = Declare(value); }

    /// <summary>Adam's decay of its first moment (the gradient's running mean): 0.9, PyTorch's default.</summary>
    public float Beta1 { get; set => field = Declare(value); } = 0.9f;

    /// <summary>Adam's decay of its second moment (the squared gradient's running mean): 0.999, PyTorch's default.</summary>
    public float Beta2 { get; set => field = Declare(value); } = 0.999f;

    /// <summary>Adam's term added to the root of the second moment: 1e-8, PyTorch's default.</summary>
    public float Epsilon { get; set => field = Declare(value); } = 1e-8f;

    /// <summary>Epochs without a lower validation top-1 error before the learning rate is divided by 10.</summary>
    public int Patience { get; set => field = Declare(value); } = 2;

    /// <summary>How much lower (an absolute fraction: 0.002 is 0.2 points) a validation error must be to count as an improvement: 0.</summary>
    public double Threshold { get; set => field = Declare(value); }

    /// <summary>
    /// The first epochs of the run: with the plateau schedule they always keep the starting learning rate, whatever the
    /// validation error does; with step and cosine the rate rises linearly to it over their steps. None in the paper.
    /// </summary>
    public int Warmup { get; set => field = Declare(value); }

    /// <summary>How the learning rate moves: the paper's plateau rule (<c>Schedule.Plateau</c>), step, cosine or one-cycle.</summary>
    public Schedule Schedule { get; set => field = Declare(value); } = Schedule.Plateau;

    /// <summary>The step schedule's period in epochs (StepLR's step_size): 30.</summary>
    public int StepSize { get; set => field = Declare(value); } = 30;

    /// <summary>The step schedule's factor (StepLR's gamma): 0.1.</summary>
    public float Gamma { get; set => field = Declare(value); } = 0.1f;

    /// <summary>The rate the cosine schedule ends at (CosineAnnealingLR's eta_min): 0.</summary>
    public float MinLearningRate { get; set => field = Declare(value); }

    /// <summary>The share of each training target spread evenly over the classes (label smoothing): none in the paper.</summary>
    public float LabelSmoothing { get; set => field = Declare(value); }

    /// <summary>The side images are rescaled and centre-cropped to before cropping to the input: 256 for AlexNet; 0 means the input's own size.</summary>
    public int ImageSize { get; set => field = Declare(value); }

    /// <summary>Zero padding around the image before random crops: none in the paper.</summary>
    public int Pad { get; set => field = Declare(value); }

    /// <summary>Random horizontal reflections: on, as in the paper.</summary>
    public bool Flip { get; set => field = Declare(value); } = true;

    /// <summary>The standard deviation of the PCA colour weights: 0.1 (colour images only).</summary>
    public float ColourStd { get; set => field = Declare(value); } = 0.1f;

    /// <summary>Divide inputs by each channel's standard deviation as well as subtracting the mean image: off, as in the paper.</summary>
    public bool Normalise { get; set => field = Declare(value); }
}
