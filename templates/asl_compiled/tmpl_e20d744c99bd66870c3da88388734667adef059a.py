from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'retrain.asl.json.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_comment = resolve('comment')
    l_0_timeout = resolve('timeout')
    l_0_s = missing
    try:
        t_1 = environment.filters['members']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'members' found.")
    try:
        t_2 = environment.filters['tojson']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'tojson' found.")
    try:
        t_3 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    l_0_s = context.vars['s'] = environment.get_template('_states.j2', 'retrain.asl.json.j2').make_module(context.get_all(), True, {'s': l_0_s})
    context.exported_vars.discard('s')
    yield '{\n  "Comment": '
    yield str(t_2((undefined(name='comment') if l_0_comment is missing else l_0_comment)))
    yield ',\n  "StartAt": "Read pointers",\n  "TimeoutSeconds": '
    yield str(t_2((undefined(name='timeout') if l_0_timeout is missing else l_0_timeout)))
    yield ',\n  "States": {'
    l_1_pointers = resolve('pointers')
    l_1_static_hyperparameters = resolve('static_hyperparameters')
    l_1_steps = resolve('steps')
    l_1_drift_gate = resolve('drift_gate')
    l_1_p = resolve('p')
    l_1_service_retry = resolve('service_retry')
    l_1_gate = resolve('gate')
    l_1_register = resolve('register')
    t_4 = []
    pass
    t_4.extend((
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'start'), (undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), (environment.getattr(environment.getitem((undefined(name='steps') if l_1_steps is missing else l_1_steps), 0), 'name') if t_3((undefined(name='static_hyperparameters') if l_1_static_hyperparameters is missing else l_1_static_hyperparameters)) else 'Static hyper-parameters'))),
    ))
    if (undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate):
        pass
        t_4.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Started by drift?', [environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'started_by_drift')], 'Publish run started')),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'live_version'), environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'live'), environment.getattr((undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), 'read_failure'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'No live version', 'Claim drift window', '$.live', result={'version': 'none'})),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Claim drift window', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:putItem', )), environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'claim'), 'Publish drift detected', result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['DynamoDB.ConditionalCheckFailedException'], 'ResultPath': '$.error', 'Next': 'Cooling down'}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'failure'), 'notify_state')}], comment='One drift-started run per cool-down window: the registry item of the window is written only once.')),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'succeed'), 'Cooling down', environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'cooling_down'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'publish'), 'Publish drift detected', environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'event'), 'Publish run started')),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), environment.getattr((undefined(name='drift_gate') if l_1_drift_gate is missing else l_1_drift_gate), 'failure'))),
        ))
    if (not t_3((undefined(name='static_hyperparameters') if l_1_static_hyperparameters is missing else l_1_static_hyperparameters))):
        pass
        t_4.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Static hyper-parameters', environment.getattr(environment.getitem((undefined(name='steps') if l_1_steps is missing else l_1_steps), 0), 'name'), '$.hyperparameters', result=(undefined(name='static_hyperparameters') if l_1_static_hyperparameters is missing else l_1_static_hyperparameters), comment="The train stage's own hyper-parameters; the tuned ones are merged over them.")),
        ))
    for l_2_step in (undefined(name='steps') if l_1_steps is missing else l_1_steps):
        _loop_vars = {}
        pass
        t_4.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'step'), l_2_step, _loop_vars=_loop_vars)),
        ))
    l_2_step = missing
    if (undefined(name='gate') if l_1_gate is missing else l_1_gate):
        pass
        t_4.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read metrics', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::aws-sdk:s3:getObject', )), environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'get_object'), environment.getattr(environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'read'), 'check_state'), result_path=environment.getattr(environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'read'), 'result_path'), retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'missing'), 'notify_state')}])),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'select_present'), environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'read'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Check gate', [environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'passes')], environment.getattr(environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'failure'), 'notify_state'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'missing'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), environment.getattr((undefined(name='gate') if l_1_gate is missing else l_1_gate), 'failure'))),
        ))
    t_4.extend((
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Register model version', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:putItem', )), environment.getattr((undefined(name='register') if l_1_register is missing else l_1_register), 'put_item'), 'Publish model registered', result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['DynamoDB.ConditionalCheckFailedException'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='register') if l_1_register is missing else l_1_register), 'failure'), 'notify_state')}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='register') if l_1_register is missing else l_1_register), 'failure'), 'notify_state')}], comment='Written once: a version of this run written by another execution is an answer, not retried.')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'publish'), 'Publish model registered', environment.getattr((undefined(name='register') if l_1_register is missing else l_1_register), 'event'), 'Done')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), environment.getattr((undefined(name='register') if l_1_register is missing else l_1_register), 'failure'))),
        '\n    "Done": {"Type": "Succeed"},',
    ))
    yield t_1(concat(t_4))
    l_1_pointers = l_1_static_hyperparameters = l_1_steps = l_1_drift_gate = l_1_p = l_1_service_retry = l_1_gate = l_1_register = missing
    yield '\n  }\n}\n'

blocks = {}
debug_info = '1=32&3=35&5=37&8=51&9=53&10=57&11=59&12=61&13=63&18=65&19=67&20=69&22=71&23=75&26=77&27=82&29=85&30=89&33=91&34=93&35=95&36=97&38=101&43=103&44=105&7=108'