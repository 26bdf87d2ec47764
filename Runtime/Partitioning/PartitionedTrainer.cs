using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen;

/// <summary>
/// The executor of a network's partition plan: trains a network with several columns on as many
/// devices (CPU-backend devices of their own), each running its share (<see cref="ColumnPass"/>)
/// on its own thread and meeting the others at the plan's transfers. The network it was given
/// keeps the whole parameters: each step splits them over the devices and gathers the updated ones
/// back, so evaluation, checkpoints and everything else that reads the network see one network,
/// and a checkpoint written on one device resumes on two and back. The optimiser's moments live on
/// the devices, each column holding its rows as it holds its parameters; its settings and step count
/// are the whole network's <see cref="Trainer.Optimiser"/>'s, which allocates no state of its own here.
/// </summary>
/// <remarks>
/// The columns meet through an <see cref="IColumnExchange"/>: every column in this process
/// (<see cref="ColumnExchange"/>), or this process's column of an MPI job whose other ranks run the
/// others (<see cref="Distributed.MpiColumnExchange"/>). Either way every process sees the same
/// whole network, gradients and losses: what its columns hold, completed by the exchange with the
/// rows of the others. Under MPI every rank must make the same calls in the same order.
/// </remarks>
public sealed class PartitionedTrainer : Trainer
{
    private readonly Device[] devices;
    private readonly DeviceThreads threads;
    private ColumnPass[] columns = [];
    private OptimiserState state;

    /// <summary>Opens <paramref name="devices"/> CPU devices, one per column of <paramref name="network"/>, to train it with the paper's SGD.</summary>
    public PartitionedTrainer(Network network, int devices, ulong seed = 0, float momentum = 0.9f, float weightDecay = 0.0005f)
        : this(network, devices, seed, Optimizer.Sgd, momentum, weightDecay)
    {
    }

    /// <summary>Opens <paramref name="devices"/> CPU devices, one per column of <paramref name="network"/>, to train it with <paramref name="optimizer"/>.</summary>
    public PartitionedTrainer(Network network, int devices, ulong seed, Optimizer optimizer, float momentum = 0.9f, float weightDecay = 0.0005f)
        : this(network, InProcess(network, devices), seed, optimizer, momentum, weightDecay)
    {
    }

    /// <summary>
    /// Opens a CPU device for each column that <paramref name="exchange"/> runs in this process (under MPI, the
    /// rank's), to train <paramref name="network"/> with <paramref name="optimizer"/>.
    /// </summary>
    public PartitionedTrainer(Network network, IColumnExchange exchange, ulong seed = 0, Optimizer optimizer = Optimizer.Sgd, float momentum = 0.9f, float weightDecay = 0.0005f)
        : base(network, seed, optimizer, momentum, weightDecay)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        Plan = PlanOf(network, exchange.Devices);
        state = OptimiserState.Zero(optimizer, network.Info);
        Exchange = exchange;
        this.devices = new Device[exchange.LocalColumns.Count];
        try
        {
            for (int d = 0; d < this.devices.Length; d++)
                this.devices[d] = Device.Open("cpu");
        }
        catch
        {
            foreach (var opened in this.devices)
                opened?.Dispose();
            throw;
        }
        threads = new DeviceThreads(this.devices.Length, network.Info.Name);
    }

    private static ColumnExchange InProcess(Network network, int devices)
    {
        PlanOf(network, devices);
        return new ColumnExchange(devices);
    }

    private static PartitionInfo PlanOf(Network network, int devices)
    {
        ArgumentNullException.ThrowIfNull(network);
        var plan = network.Partitioning ?? throw new ArgumentException(
            $"{network.Info.Name} declares one column, so there is nothing to split; declare [Network(Columns = 2)] to run it on two devices.", nameof(network));
        if (devices != plan.Devices)
            throw new ArgumentException($"{network.Info.Name} splits over {plan.Devices} devices, one per column, not {devices}.", nameof(devices));
        return plan;
    }

    /// <summary>The plan the trainer runs.</summary>
    public PartitionInfo Plan { get; }

    /// <summary>The devices of the columns this process runs (<see cref="IColumnExchange.LocalColumns"/>), in order.</summary>
    public IReadOnlyList<Device> Devices => devices;

    /// <summary>Where the columns meet; it counts the bytes they move.</summary>
    public IColumnExchange Exchange { get; }

    /// <summary>Whether every column runs in this process, so that the whole network's rows are all here.</summary>
    private bool AllLocal => Exchange.LocalColumns.Count == Plan.Devices;

    /// <summary>Each step runs on the columns' CPU devices and is checked at once, on the host.</summary>
    private protected override bool ChecksOnHost => true;

    /// <inheritdoc />
    public override float[] ReadGradients() => FromColumns(static (column, whole) => column.ReadParameterGradients(whole));

    /// <inheritdoc />
    public override OptimiserState ReadOptimiserState()
    {
        if (columns.Length == 0)
            return state with { Steps = Optimiser.Steps, First = (float[])state.First.Clone(), Second = (float[]?)state.Second?.Clone() };
        long count = Network.Info.ParameterCount;
        var first = new float[count];
        var second = Optimiser.Kind == Optimizer.Sgd ? null : new float[count];
        foreach (var column in columns)
            column.ReadOptimiserState(first, second);
        Exchange.ShareRows(first, Network.Info, Plan);
        if (second is not null)
            Exchange.ShareRows(second, Network.Info, Plan);
        return new OptimiserState(Optimiser.Kind, Optimiser.Steps, first, second);
    }

    /// <inheritdoc />
    public override void WriteOptimiserState(OptimiserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Check(Optimiser.Kind, Network.Info);
        this.state = state with { First = (float[])state.First.Clone(), Second = (float[]?)state.Second?.Clone() };
        Optimiser.Steps = state.Steps;
        foreach (var column in columns)
            column.WriteOptimiserState(state);
    }

    /// <inheritdoc />
    public override float[] ReadLogits(int batchSize)
    {
        if (columns.Length == 0 || columns[0].BatchSize != batchSize)
            throw new InvalidOperationException($"No pass over a batch of {batchSize} has run on the devices.");
        return columns[0].Read(columns[0].LogitsName);
    }

    /// <inheritdoc />
    protected override StepResult Run(float[] images, int[] labels, DropoutKey key, bool backward, float? learningRate)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var active = ColumnsFor(labels.Length);
        // A network in host memory is copied from and to in place; one on a GPU, or one whose other columns run elsewhere, through the host.
        bool inHost = Network.Accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.CPU && AllLocal;
        var whole = inHost ? null : Network.ReadParameters();
        Exchange.Reset();
        threads.Run(d =>
        {
            var column = active[d];
            try
            {
                if (whole is null)
                    column.WriteParameters(Network.Parameters.View);
                else
                    column.WriteParameters(whole);
                column.SetInput(images);
                column.SetLabels(labels);
                column.LabelSmoothing = backward ? LabelSmoothing : 0f;
                column.Forward(key);
                if (backward)
                    column.Backward(key);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Exchange.Abort(e); // the others would wait for this column for ever
                throw;
            }
        });
        if (learningRate is { } rate)
        {
            float scale = 1f;
            if (CheckNumerics || ClipNorm > 0)
            {
                // The columns hold no whole activations: a bad loss is named by the layer its gradient shows.
                var gradients = ReadGradients();
                scale = Guard(active[0].ReadLosses(), null, () => GradientGuard.SumsOfSquares(Network.Info, gradients), () => gradients);
            }
            var rule = Optimiser.Next(rate);
            threads.Run(d => active[d].Update(rule, scale));
        }
        // An update changed the columns' parameters, and so did a training pass over running statistics.
        if (learningRate is not null || (key.Training != 0 && Network.Info.TrainedParameterCount < Network.Info.ParameterCount))
        {
            foreach (var column in active)
            {
                if (whole is null)
                    column.ReadParameters(Network.Parameters.View);
                else
                    column.ReadParameters(whole);
            }
            if (whole is not null)
            {
                Exchange.ShareRows(whole, Network.Info, Plan);
                Network.WriteParameters(whole);
            }
        }
        return StepResult.From(active[0].ReadLosses(), active[0].ReadRanks());
    }

    /// <summary>The columns for batches of <paramref name="batchSize"/>; a new size moves the optimiser's moments to new ones.</summary>
    private ColumnPass[] ColumnsFor(int batchSize)
    {
        if (columns.Length > 0 && columns[0].BatchSize == batchSize)
            return columns;
        state = ReadOptimiserState();
        DisposeColumns();
        var created = new List<ColumnPass>();
        try
        {
            for (int d = 0; d < devices.Length; d++)
                created.Add(Network.CreateColumnPass(devices[d], Exchange.LocalColumns[d], batchSize, Exchange));
        }
        catch
        {
            created.ForEach(c => c.Dispose());
            throw;
        }
        columns = created.ToArray();
        foreach (var column in columns)
            column.WriteOptimiserState(state);
        return columns;
    }

    private float[] FromColumns(Action<ColumnPass, float[]> read)
    {
        if (columns.Length == 0)
            throw new InvalidOperationException("Nothing has run on the devices yet.");
        var whole = new float[Network.Info.ParameterCount];
        foreach (var column in columns)
            read(column, whole);
        Exchange.ShareRows(whole, Network.Info, Plan);
        return whole;
    }

    private void DisposeColumns()
    {
        foreach (var column in columns)
            column.Dispose();
        columns = [];
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            threads.Dispose();
            DisposeColumns();
            foreach (var device in devices)
                device.Dispose();
        }
        base.Dispose(disposing);
    }
}
