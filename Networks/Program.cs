using NetGen.Networks.Commands;

return Cli.Run(args);
