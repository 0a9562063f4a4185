from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_deploy_ecs-service.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_s = resolve('s')
    l_0_p = resolve('p')
    l_0_register_task_definition = resolve('register_task_definition')
    l_0_service_retry = resolve('service_retry')
    l_0_failures = resolve('failures')
    l_0_task_definition_arn = resolve('task_definition_arn')
    l_0_describe_service = resolve('describe_service')
    l_0_create_service = resolve('create_service')
    l_0_polls = resolve('polls')
    l_0_update_service = resolve('update_service')
    pass
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Register task definition', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:ecs:registerTaskDefinition', )), (undefined(name='register_task_definition') if l_0_register_task_definition is missing else l_0_register_task_definition), 'Task definition registered?', result_path='$.task_definition', retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}], comment="Kept whole: every member of ECS's responses is optional (see poll_loop in _states.j2)."))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Task definition registered?', [{'Variable': (undefined(name='task_definition_arn') if l_0_task_definition_arn is missing else l_0_task_definition_arn), 'IsPresent': True, 'Next': 'Find service'}], environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Find service', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:ecs:describeServices', )), (undefined(name='describe_service') if l_0_describe_service is missing else l_0_describe_service), 'Service exists?', result_path='$.service', retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Service exists?', [{'And': [{'Variable': '$.service.Services[0].Status', 'IsPresent': True}, {'Variable': '$.service.Services[0].Status', 'StringEquals': 'ACTIVE'}], 'Next': 'Update service'}], 'Create service'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Create service', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:ecs:createService', )), (undefined(name='create_service') if l_0_create_service is missing else l_0_create_service), environment.getattr(environment.getattr((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'service'), 'start_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Update service', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:ecs:updateService', )), (undefined(name='update_service') if l_0_update_service is missing else l_0_update_service), environment.getattr(environment.getattr((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'service'), 'start_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'poll_loop'), environment.getattr((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'service')))
    yield '\n'

blocks = {}
debug_info = '3=21&7=23&9=25&12=27&15=29&18=31&21=33'