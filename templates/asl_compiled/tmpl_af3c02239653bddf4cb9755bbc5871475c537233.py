from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'deploy.asl.json.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_namespace = resolve('namespace')
    l_0_comment = resolve('comment')
    l_0_timeout = resolve('timeout')
    l_0_s = l_0_lambda_ns = missing
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
    pass
    l_0_s = context.vars['s'] = environment.get_template('_states.j2', 'deploy.asl.json.j2').make_module(context.get_all(), True, {'lambda_ns': l_0_lambda_ns, 's': l_0_s})
    context.exported_vars.discard('s')
    l_0_lambda_ns = context.call((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace))
    context.vars['lambda_ns'] = l_0_lambda_ns
    context.exported_vars.add('lambda_ns')
    yield '{\n  "Comment": '
    yield str(t_2((undefined(name='comment') if l_0_comment is missing else l_0_comment)))
    yield ',\n  "StartAt": "Read pointers",\n  "TimeoutSeconds": '
    yield str(t_2((undefined(name='timeout') if l_0_timeout is missing else l_0_timeout)))
    yield ',\n  "States": {'
    l_1_pointers = resolve('pointers')
    l_1_failures = resolve('failures')
    l_1_p = resolve('p')
    l_1_read_version = resolve('read_version')
    l_1_service_retry = resolve('service_retry')
    l_1_serve_image = resolve('serve_image')
    l_1_lock = resolve('lock')
    l_1_read_lock = resolve('read_lock')
    l_1_lock_takeover = resolve('lock_takeover')
    l_1_started_event = resolve('started_event')
    l_1_first_target_state = resolve('first_target_state')
    l_1_target = resolve('target')
    l_1_record_deployed = resolve('record_deployed')
    l_1_succeeded_event = resolve('succeeded_event')
    l_1_monitoring = resolve('monitoring')
    t_3 = []
    pass
    t_3.extend((
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'start'), (undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), 'Version requested?')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Version requested?', [{'Variable': '$.version', 'IsPresent': True, 'Next': 'Use requested version'}, {'Variable': '$.pointers.Item.approved_version.S', 'IsPresent': True, 'Next': 'Use approved version'}], environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'no_version'), 'notify_state'))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Use requested version', 'Read version', '$.request', parameters={'version.$': '$.version'})),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Use approved version', 'Read version', '$.request', parameters={'version.$': '$.pointers.Item.approved_version.S'})),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read version', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:getItem', )), (undefined(name='read_version') if l_1_read_version is missing else l_1_read_version), 'Check version', result_path='$.model_version', retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'not_deployable'), 'notify_state')}])),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Check version', [{'And': [{'Variable': '$.model_version.Item', 'IsPresent': True}, {'Variable': '$.model_version.Item.approval.S', 'StringEquals': 'approved'}, {'Variable': (undefined(name='serve_image') if l_1_serve_image is missing else l_1_serve_image), 'IsPresent': True}], 'Next': 'Lock deployment'}], environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'not_deployable'), 'notify_state'))),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Lock deployment', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:updateItem', )), (undefined(name='lock') if l_1_lock is missing else l_1_lock), 'Publish deployment started', result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['DynamoDB.ConditionalCheckFailedException'], 'ResultPath': '$.error', 'Next': 'Read running deployment'}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'lock'), 'notify_state')}], comment='Only one deployment of a model runs at a time: a second one fails fast, naming the first.')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read running deployment', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:getItem', )), (undefined(name='read_lock') if l_1_read_lock is missing else l_1_read_lock), 'Lock names an execution?', result_path='$.running', retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'lock'), 'notify_state')}])),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Lock names an execution?', [{'And': [{'Variable': '$.running.Item.status.S', 'IsPresent': True}, {'Variable': '$.running.Item.status.S', 'StringEquals': 'deploying'}, {'Variable': '$.running.Item.execution.S', 'IsPresent': True}], 'Next': "Is the lock's execution running?"}], 'Lock deployment')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), "Is the lock's execution running?", str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::aws-sdk:sfn:describeExecution', )), environment.getattr((undefined(name='lock_takeover') if l_1_lock_takeover is missing else l_1_lock_takeover), 'describe'), "Lock's execution ended?", result_path='$.running.described', result_selector={'status.$': '$.Status'}, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['Sfn.ExecutionDoesNotExistException'], 'ResultPath': '$.error', 'Next': 'Take over lock'}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'lock'), 'notify_state')}], comment='A lock whose execution failed, timed out or was stopped before it recorded its outcome does not block.')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), "Lock's execution ended?", [{'Or': [{'Variable': '$.running.described.status', 'StringEquals': 'RUNNING'}, {'Variable': '$.running.described.status', 'StringEquals': 'PENDING_REDRIVE'}], 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'in_progress'), 'notify_state')}], 'Take over lock')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Take over lock', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:updateItem', )), environment.getattr((undefined(name='lock_takeover') if l_1_lock_takeover is missing else l_1_lock_takeover), 'take'), 'Publish deployment started', result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['DynamoDB.ConditionalCheckFailedException'], 'ResultPath': '$.error', 'Next': 'Read running deployment'}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'lock'), 'notify_state')}], comment='Only while the lock still names the ended execution: a deployment that took it meanwhile keeps it.')),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'publish'), 'Publish deployment started', (undefined(name='started_event') if l_1_started_event is missing else l_1_started_event), (undefined(name='first_target_state') if l_1_first_target_state is missing else l_1_first_target_state), failed=environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'started_event'), 'notify_state'))),
    ))
    template = environment.get_or_select_template(str_join(('_deploy_', (undefined(name='target') if l_1_target is missing else l_1_target), '.j2', )), 'deploy.asl.json.j2')
    gen = template.root_render_func(template.new_context(context.get_all(), True, {'lambda_ns': l_0_lambda_ns, 's': l_0_s}))
    try:
        for event in gen:
            t_3.append(event)
    finally: gen.close()
    t_3.extend((
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Record deployed', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::dynamodb:updateItem', )), (undefined(name='record_deployed') if l_1_record_deployed is missing else l_1_record_deployed), 'Publish deployment succeeded', result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'recording'), 'notify_state')}])),
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'publish'), 'Publish deployment succeeded', (undefined(name='succeeded_event') if l_1_succeeded_event is missing else l_1_succeeded_event), ('Baseline recorded?' if (undefined(name='monitoring') if l_1_monitoring is missing else l_1_monitoring) else 'Done'))),
    ))
    if (undefined(name='monitoring') if l_1_monitoring is missing else l_1_monitoring):
        pass
        t_3.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Baseline recorded?', [environment.getattr((undefined(name='monitoring') if l_1_monitoring is missing else l_1_monitoring), 'has_baseline')], environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'monitoring_baseline'), 'notify_state'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Create monitoring schedule', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::aws-sdk:sagemaker:createMonitoringSchedule', )), environment.getattr((undefined(name='monitoring') if l_1_monitoring is missing else l_1_monitoring), 'create_schedule'), 'Done', result_path=None, catch=[{'ErrorEquals': ['SageMaker.ResourceInUseException'], 'ResultPath': None, 'Next': 'Update monitoring schedule'}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'monitoring'), 'notify_state')}], comment='Drift of the deployed version is measured against its baseline; a schedule that exists already is updated.')),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Update monitoring schedule', str_join(('arn:', environment.getattr((undefined(name='p') if l_1_p is missing else l_1_p), 'partition'), ':states:::aws-sdk:sagemaker:updateMonitoringSchedule', )), environment.getattr((undefined(name='monitoring') if l_1_monitoring is missing else l_1_monitoring), 'update_schedule'), 'Done', result_path=None, retry=(undefined(name='service_retry') if l_1_service_retry is missing else l_1_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'monitoring'), 'notify_state')}])),
        ))
    for l_2_failure in context.call(environment.getattr((undefined(name='failures') if l_1_failures is missing else l_1_failures), 'values')):
        _loop_vars = {}
        pass
        t_3.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), l_2_failure, _loop_vars=_loop_vars)),
        ))
    l_2_failure = missing
    t_3.append(
        '\n    "Done": {"Type": "Succeed"},',
    )
    yield t_1(concat(t_3))
    l_1_pointers = l_1_failures = l_1_p = l_1_read_version = l_1_service_retry = l_1_serve_image = l_1_lock = l_1_read_lock = l_1_lock_takeover = l_1_started_event = l_1_first_target_state = l_1_target = l_1_record_deployed = l_1_succeeded_event = l_1_monitoring = missing
    yield '\n  }\n}\n'

blocks = {}
debug_info = '1=27&2=29&4=33&6=35&9=56&10=58&14=60&15=62&17=64&20=66&25=68&30=70&33=72&37=74&44=76&47=78&52=80&53=82&54=90&57=92&58=94&59=98&60=100&65=102&69=104&70=109&8=115'